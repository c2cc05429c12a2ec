package causal_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/reports/causal"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./reports/causal -update")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test ./reports/causal -update", path)
}

func run(t *testing.T, scenario, policy string, seed uint64) *workloads.Outcome {
	t.Helper()
	sc, err := workloads.Lookup(scenario)
	require.NoError(t, err)
	// The strategy is pinned: the goldens must not move when a scenario's default does.
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Seed: seed,
		Strategy: "pct:3", TraceRing: 1 << 16})
	require.NoError(t, err)
	require.NotNil(t, o.Result.First(), "%s/%s seed %d no longer fails", scenario, policy, seed)
	return o
}

func text(t *testing.T, o *workloads.Outcome, s causal.Slice) string {
	var b bytes.Buffer
	b.WriteString(o.Result.First().String() + "\n")
	require.NoError(t, s.Write(&b, o.ProcName))
	return b.String()
}

// The slices of a few bug-zoo violations hold the events the violation references (marked
// "*"): the iounmap by the remover, KASAN's alloc and free sites.
func TestSliceGolden(t *testing.T) {
	for _, tc := range []struct {
		scenario, policy string
		seed             uint64
		max              int
		all              bool
		want             []string // lines the slice must hold
	}{
		{"engine-demo", "unsync", 53, 0, false, []string{"* #32 ", "iounmap   gpu0:status"}},
		{"engine-demo", "unsync", 53, 12, true, []string{"sleep", "for=", "events omitted"}},
		{"amdgpu-unplug", "noguard", 1, 30, false, []string{"* #423 ", "iounmap", "phys=0xc0110000 size=0x10000", "* #513 "}},
		{"amdgpu-unplug", "sigbus", 1, 20, false, []string{"* #43 ", "* #840 ", "free", "amdgpu_device:gpu1", "* #1135 "}},
	} {
		name := tc.scenario + "-" + tc.policy + "-" + itoa(tc.seed)
		if tc.all {
			name += "-all"
		}
		o := run(t, tc.scenario, tc.policy, tc.seed)
		s := o.Slice(causal.Options{Max: tc.max, All: tc.all})
		got := text(t, o, s)
		golden(t, name+".slice.txt", []byte(got))
		for _, w := range tc.want {
			assert.Contains(t, got, w, name)
		}
		for i := 1; i < len(s.Events); i++ {
			assert.Less(t, s.Events[i-1].Seq, s.Events[i].Seq, name)
		}
		assert.Equal(t, "violation", s.Events[len(s.Events)-1].Kind.String(), name)
	}
}

// However small Max is, every cited "(trace #N)" event (the alloc and the free of the object the
// message names, and the access) is in; what Max cut is counted.
func TestSliceKeepsReferencedEvents(t *testing.T) {
	o := run(t, "amdgpu-unplug", "sigbus", 1)
	s := o.Slice(causal.Options{Max: 1})
	var seqs []uint64
	for i, e := range s.Events {
		assert.True(t, s.Ref[i], "unreferenced event past Max 1: %v", e)
		seqs = append(seqs, e.Seq)
	}
	for _, want := range []uint64{43, 840, 1135, 1136} {
		assert.Contains(t, seqs, want)
	}
	gaps := 0
	for _, g := range s.Gap {
		gaps += g
	}
	assert.Equal(t, s.Omitted, gaps)
	assert.Positive(t, s.Omitted)
	assert.Positive(t, s.Hidden)
	assert.Equal(t, []uint64{43, 840, 1135}, causal.CitedSeqs(o.Result.First().Msg))

	all := o.Slice(causal.Options{Max: -1, All: true})
	assert.Zero(t, all.Hidden)
	assert.Zero(t, all.Omitted)
	assert.Greater(t, len(all.Events), len(o.Slice(causal.Options{Max: -1}).Events))
}

func TestNoiseHidesEmptyLockPairs(t *testing.T) {
	l := des.L
	ev := func(seq uint64, proc int32, kind, obj string) des.Event {
		return des.Event{Seq: seq, Proc: proc, Kind: l(kind), Obj: l(obj)}
	}
	events := []des.Event{
		ev(1, 0, "spin_lock", "a"), ev(2, 0, "spin_locked", "a"), ev(3, 1, "writel", "bar"),
		ev(4, 0, "spin_unlock", "a"), // empty for proc 0: proc 1's write does not count
		ev(5, 0, "lock_map_acquire", "m"), ev(6, 0, "writel", "bar"), ev(7, 0, "lock_map_release", "m"),
		ev(8, 0, "sleep", "des"), ev(9, 0, "srcu_read_lock", "s"), ev(10, 0, "srcu_read_unlock", "s"),
	}
	assert.Equal(t, []bool{true, true, false, true, false, false, false, true, true, true}, causal.Noise(events))
}

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		kind string
		a, b int64
		want string
	}{
		{"iounmap", 0xc0110000, 0x10000, "phys=0xc0110000 size=0x10000"},
		{"writel", 0x100, 3, "off=0x100 val=0x3"},
		{"fence-signal", 15, 1, "context=15 seqno=1"},
		{"mod-timer", 104000, 0, "expires=@104us"},
		{"spin_lock", 1, 0, "irqsave"},
		{"spin_lock", 0, 0, ""},
		{"ring-irq:gpu0.gfx", 2, 0, "done=2"}, // by its prefix "ring-irq:"
		{"ttm_bo_move", 2, 1, "from=2 to=1"},
		{"handle_mm_fault", 0x7f0000001000, 0x55, "addr=0x7f0000001000 flags=0x55"},
		{"defer", 1, 2000, "ready=1 advance=2us"},
		{"no-such-prefix:x", 3, 0, "a=3"}, // a prefix with no entry of its own
		{"some-new-kind", 7, 0, "a=7"},
		{"some-new-kind", 0, 9, "b=9"},
	} {
		e := des.Event{Kind: des.L(tc.kind), A: tc.a, B: tc.b}
		assert.Equal(t, tc.want, causal.Args(e), tc.kind)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// One golden slice per violation kind the bug zoo produces, each from a zoo policy at the
// seed where the README's zoo table finds it, so that a regression in the slice of any kind
// shows in a diff.
func TestSliceGoldenPerZooKind(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eight zoo scenarios")
	}
	for _, tc := range []struct {
		kind, scenario, policy string
		seed                   uint64
	}{
		{"use-after-unmap", "pci-bar-move", "no-lock", 1},
		{"use-after-free", "xe-unplug", "drmm-migrate", 1},
		{"lock-order", "amdgpu-unplug", "v6", 1},
		{"progress", "hda-bar-move", "wait-close", 1},
		{"deadlock", "igt-hotrebind", "amdgpu-sigbus", 1},
		{"gpu-use-after-free", "newdriver-close", "free-now", 10},
		{"stale-pte", "pci-bar-move", "no-zap", 1},
		{"ioctl-after-unplug", "xe-unplug", "clear-mappings", 13},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			o := run(t, tc.scenario, tc.policy, tc.seed)
			require.Equal(t, tc.kind, string(o.Result.First().Kind), "%s/%s seed %d", tc.scenario, tc.policy, tc.seed)
			s := o.Slice(causal.Options{Max: 30})
			got := text(t, o, s)
			golden(t, "zoo-"+tc.kind+".slice.txt", []byte(got))
			assert.Equal(t, "violation", s.Events[len(s.Events)-1].Kind.String())
			for _, e := range s.Events {
				assert.NotRegexp(t, `(^|\s)[ab]=`, causal.Args(e), "%s: name its arguments in argNames", e.Kind)
			}
		})
	}
}
