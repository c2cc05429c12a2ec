package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
)

// Reports as the model prints them (model/splat), two runs apart: each pair has one title.
func TestTitleIsStableAcrossSeeds(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"BUG: KASAN: slab-use-after-free in amdgpu_bo_destroy\nRead of size 8 at addr ffff88811ed566c0 by task dma-buf-share2.0/7",
			"BUG: KASAN: slab-use-after-free in amdgpu_bo_destroy\nRead of size 8 at addr ffff888123456780 by task unplug0/12",
			"BUG: KASAN: slab-use-after-free in amdgpu_bo_destroy"},
		{"BUG: unable to handle page fault for address\naddress: ffffc900e0000100",
			"BUG: unable to handle page fault for address\naddress: ffffc900e0000500",
			"BUG: unable to handle page fault for address"},
		{"[drm:drm_sched_job_timedout] *ERROR* ring gpu1.vm timeout\n",
			"[drm:drm_sched_job_timedout] *ERROR* ring gpu0.vm timeout\n",
			"[drm:drm_sched_job_timedout] *ERROR* ring gpu*.vm timeout"},
		{"nothing runnable, nothing pending: igt#0 waits for card0.files",
			"nothing runnable, nothing pending: igt#3 waits for card1.files",
			"nothing runnable, nothing pending: igt#* waits for card*.files"},
		{"[gfxhub] no-retry page fault (src_id:0 ring:0 vmid:1 pasid:32768)\n Process render0.0 pid 1 thread render0.0 pid 1",
			"[gfxhub] no-retry page fault (src_id:0 ring:0 vmid:1 pasid:32768)\n Process render1.2 pid 9 thread render1.2 pid 9",
			"[gfxhub] no-retry page fault (src_id:* ring:* vmid:* pasid:*)"},
		{"app3: potentially unexpected fatal signal 7.\nCPU: 0 PID: 4 Comm: app3",
			"app0: potentially unexpected fatal signal 7.\nCPU: 0 PID: 2 Comm: app0",
			"app*: potentially unexpected fatal signal *."},
		{"BUG: workqueue leaked atomic, lock or RCU: kworker/gpu0-reset:0\n     preempt=0x00000000 lock=1 RCU=0",
			"BUG: workqueue leaked atomic, lock or RCU: kworker/gpu1-reset:3\n     preempt=0x00000000 lock=1 RCU=0",
			"BUG: workqueue leaked atomic, lock or RCU: kworker/gpu*-reset:*"},
		{"WARNING: possible circular locking dependency detected\nunplug0/12 is trying to acquire lock:",
			"WARNING: possible circular locking dependency detected\ndma-buf-share2.0/7 is trying to acquire lock:",
			"WARNING: possible circular locking dependency detected"},
		// Leading lines without a letter (a splat's "=====" rule) are skipped.
		{"==================================================================\nBUG: KASAN: slab-use-after-free in amdgpu_bo_move\nRead of size 8 at addr ffff888012345678 by task app3/1234",
			"\n==================================================================\nBUG: KASAN: slab-use-after-free in amdgpu_bo_move\nRead of size 8 at addr ffff888087654321 by task app1/99",
			"BUG: KASAN: slab-use-after-free in amdgpu_bo_move"},
		// A kernel-log timestamp prefix is cut; times and pids vary.
		{"[   12.345678] INFO: task app3/1234 blocked for more than 3.1ms",
			"[  100.000001] INFO: task app12/77 blocked for more than 12us",
			"INFO: task app*/* blocked for more than *"},
	} {
		assert.Equal(t, tc.want, workloads.Title(tc.a))
		assert.Equal(t, tc.want, workloads.Title(tc.b))
	}
}

func TestSignatureOf(t *testing.T) {
	v := des.Violation{Kind: "use-after-unmap", PID: 3, Msg: "BUG: unable to handle page fault for address\naddress: ffffc900e0000100",
		Related: []des.Event{{Proc: 3, Kind: des.L("mmio-read")}, {Proc: 4, Kind: des.L("iounmap")}}}
	s := workloads.SignatureOf(v)
	assert.Equal(t, workloads.Signature{Kind: "use-after-unmap", Title: "BUG: unable to handle page fault for address", Func: "mmio-read"}, s)
	assert.Equal(t, "use-after-unmap: BUG: unable to handle page fault for address [in mmio-read]", s.String())
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
