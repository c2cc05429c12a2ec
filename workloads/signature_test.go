package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
)

// Messages as the scenarios' buggy policies word them (desrun sweep over seeds 1-40 of each),
// two seeds apart, and kernel-shaped splats: each pair has one title.
func TestTitleIsStableAcrossSeeds(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"BUG: KASAN: use-after-free: amdgpu_bo_destroy of amdgpu_device:gpu1; allocated by boot at @0ns (trace #41); freed by unplug0 at @44us (trace #751); used by dma-buf-share2.0 at @54us (trace #984)",
			"BUG: KASAN: use-after-free: amdgpu_bo_destroy of amdgpu_device:gpu1; allocated by boot at @0ns (trace #43); freed by unplug0 at @18us (trace #543); used by dma-buf-share2.0 at @55us (trace #825)",
			"BUG: KASAN: use-after-free: amdgpu_bo_destroy of amdgpu_device:gpu*; allocated by boot at @* (trace #*); freed by unplug* at @* (trace #*); used by dma-buf-share* at @* (trace #*)"},
		{"BUG: unable to handle page fault: writel at iomem:0000:04:00.0:bar5+0x0+0x100 after iounmap by unplug0 at @12us",
			"BUG: unable to handle page fault: writel at iomem:0000:04:00.0:bar5+0x0+0x500 after iounmap by unplug1 at @263.218us",
			"BUG: unable to handle page fault: writel at iomem:*:*:*.*:bar*+0x*+0x* after iounmap by unplug* at @*"},
		{"published fence fence:gpu1.vm.finished#2 (context 6 seqno 2) never signalled; published by compute1.0#8",
			"published fence fence:gpu1.vm.finished#1 (context 3 seqno 1) never signalled; published by compute0.1#7",
			"published fence fence:gpu*.vm.finished#* (context * seqno *) never signalled; published by compute*#*"},
		{"nothing runnable, nothing pending: igt#0 waits for card0.files",
			"nothing runnable, nothing pending: igt#3 waits for card1.files",
			"nothing runnable, nothing pending: igt#* waits for card*.files"},
		{"readl(gpu0:status) after iounmap", "readl(gpu0:status) after iounmap", "readl(gpu*:status) after iounmap"},
		{"BUG: KASAN: use-after-free: delayed_work_timer_fn of work:card0.idle_work; allocated by igt at @0ns (trace #24); freed by igt at @20.002us (trace #356); used by timer/dwork:card0.idle_work at @30.001us (trace #400)",
			"BUG: KASAN: use-after-free: delayed_work_timer_fn of work:card0.idle_work; allocated by igt at @0ns (trace #25); freed by igt at @11.001us (trace #232); used by timer/dwork:card0.idle_work at @31.001us (trace #253)",
			"BUG: KASAN: use-after-free: delayed_work_timer_fn of work:card*.idle_work; allocated by igt at @* (trace #*); freed by igt at @* (trace #*); used by timer/dwork:card*.idle_work at @* (trace #*)"},
		{"WARNING: possible circular locking dependency detected\nunplug0/12 is trying to acquire lock:",
			"WARNING: possible circular locking dependency detected\ndma-buf-share2.0/7 is trying to acquire lock:",
			"WARNING: possible circular locking dependency detected"},
		// Kernel-shaped multi-line splats: the first line with a letter is the title.
		{"==================================================================\nBUG: KASAN: slab-use-after-free in amdgpu_bo_move\nRead of size 8 at addr ffff888012345678 by task app3/1234",
			"\n==================================================================\nBUG: KASAN: slab-use-after-free in amdgpu_bo_move\nRead of size 8 at addr ffff888087654321 by task app1/99",
			"BUG: KASAN: slab-use-after-free in amdgpu_bo_move"},
		{"[   12.345678] INFO: task app3/1234 blocked for more than 3.1ms",
			"[  100.000001] INFO: task app12/77 blocked for more than 12us",
			"INFO: task app*/* blocked for more than *"},
	} {
		assert.Equal(t, tc.want, workloads.Title(tc.a))
		assert.Equal(t, tc.want, workloads.Title(tc.b))
	}
}

func TestSignatureOf(t *testing.T) {
	v := des.Violation{Kind: "use-after-unmap", PID: 3, Msg: "readl(gpu0:status) after iounmap",
		Related: []des.Event{{Proc: 3, Kind: des.L("mmio-read")}, {Proc: 4, Kind: des.L("iounmap")}}}
	s := workloads.SignatureOf(v)
	assert.Equal(t, workloads.Signature{Kind: "use-after-unmap", Title: "readl(gpu*:status) after iounmap", Func: "mmio-read"}, s)
	assert.Equal(t, "use-after-unmap: readl(gpu*:status) after iounmap [in mmio-read]", s.String())
	assert.Regexp(t, `^[0-9a-f]{8}$`, s.ID())
	v.PID = -1 // the engine: no function
	assert.Empty(t, workloads.SignatureOf(v).Func)
	assert.NotEqual(t, s.ID(), workloads.SignatureOf(v).ID())
}

// Over many seeds a buggy policy's violations fall into a handful of signatures, the same for
// the same seeds.
func TestSignaturesBucketRealRuns(t *testing.T) {
	for _, c := range []struct {
		scenario, policy string
		most             int
	}{{"engine-demo", "unsync", 2}, {"amdgpu-unplug", "sigbus", 3}, {"hda-bar-move", "stop-chip", 8}, {"igt-hotreplug", "xe-drmm-migrate", 1}} {
		sc, err := workloads.Lookup(c.scenario)
		require.NoError(t, err)
		seen := map[workloads.Signature]int{}
		fails := 0
		for seed := uint64(1); seed <= 30; seed++ {
			o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: c.policy, Seed: seed, Strategy: sc.Strategy})
			require.NoError(t, err)
			if v := o.Result.First(); v != nil {
				fails++
				seen[workloads.SignatureOf(*v)]++
			}
		}
		assert.Positive(t, fails, c.policy)
		assert.LessOrEqual(t, len(seen), c.most, "%s/%s: %v", c.scenario, c.policy, seen)
	}
}

// relatedFunc is how signatures found the function before the engine recorded it: the kind of
// the violating process's last event among the violation's related trace events.
func relatedFunc(v des.Violation) string {
	if v.PID < 0 {
		return ""
	}
	for i := len(v.Related) - 1; i >= 0; i-- {
		if int(v.Related[i].Proc) == v.PID {
			return v.Related[i].Kind.String()
		}
	}
	return ""
}

// A sweep takes a failing run's signature from a run without the trace ring: the function the
// engine records must be the one the ring's related events name, for every scenario and buggy
// policy (and every policy: one that passes here fails under another spec).
func TestSignatureFuncWithoutRing(t *testing.T) {
	seeds := uint64(6)
	if testing.Short() {
		seeds = 2
	}
	fails := 0
	for _, sc := range workloads.All() {
		for _, pol := range sc.Policies {
			for seed := uint64(1); seed <= seeds; seed++ {
				cfg := workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: seed, Strategy: sc.Strategy, NoTape: true}
				traced, err := workloads.Run(cfg)
				require.NoError(t, err)
				cfg.TraceRing = -1
				bare, err := workloads.Run(cfg)
				require.NoError(t, err)
				require.Equal(t, traced.Fingerprint, bare.Fingerprint, "%s/%s seed %d", sc.Name, pol.Name, seed)
				tv, bv := traced.Result.First(), bare.Result.First()
				require.Equal(t, tv == nil, bv == nil, "%s/%s seed %d", sc.Name, pol.Name, seed)
				if tv == nil {
					continue
				}
				fails++
				old := workloads.SignatureOf(des.Violation{Kind: tv.Kind, PID: tv.PID, Msg: tv.Msg, Related: tv.Related})
				assert.Equal(t, relatedFunc(*tv), old.Func)
				assert.Equal(t, old, workloads.SignatureOf(*bv), "%s/%s seed %d", sc.Name, pol.Name, seed)
				assert.Equal(t, old, workloads.SignatureOf(*tv), "%s/%s seed %d", sc.Name, pol.Name, seed)
				assert.Empty(t, bv.Related)
			}
		}
	}
	assert.Positive(t, fails)
	t.Logf("%d failing runs compared", fails)
}
