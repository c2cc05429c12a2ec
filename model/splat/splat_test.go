package splat_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/iommu"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/pm"
	"hotplugsim/model/rcu"
	"hotplugsim/model/splat"
	"hotplugsim/model/timer"
	"hotplugsim/model/workqueue"
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
	require.NoError(t, err, "missing golden file; run go test ./model/splat -update")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test ./model/splat -update", path)
}

// cases make one misuse each in a tiny simulation with the real model objects; the golden
// file holds the whole report, and the title is the report's first line.
var cases = []struct {
	name, title string
	kind        des.ViolationKind
	run         func(sim *des.Sim)
}{
	{"kasan-use-after-free", "BUG: KASAN: slab-use-after-free in amdgpu_bo_move", oracle.UseAfterFree, func(sim *des.Sim) {
		var o kasan.Obj
		sim.Spawn("probe", des.Task, func(p *des.Proc) { o.Alloc(sim, p, "bo:1") })
		sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(5); o.Free(p) })
		sim.Spawn("ttm", des.Worker, func(p *des.Proc) { p.Sleep(9); o.Use(p, "amdgpu_bo_move") })
	}},
	{"kasan-fence-put-after-free", "BUG: KASAN: slab-use-after-free in dma_fence_put", oracle.UseAfterFree, func(sim *des.Sim) {
		ctx := fence.NewContext(sim, "amdgpu.gfx")
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			f := ctx.NewFence(p)
			_ = f.Signal(p)
			f.Put(p)
			p.Sleep(2 * rcu.GracePeriod) // kfree_rcu: freed after a grace period
			f.Put(p)
		})
	}},
	{"warn-refcount-addition-on-0", "WARNING: at lib/refcount.c refcount_warn_saturate", oracle.UseAfterFree, func(sim *des.Sim) {
		ctx := fence.NewContext(sim, "amdgpu.gfx")
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			f := ctx.NewFence(p)
			_ = f.Signal(p)
			f.Put(p)
			p.Sleep(3) // dead, not yet freed
			f.Get(p)
		})
	}},
	{"kasan-double-free", "BUG: KASAN: double-free in kfree", oracle.UseAfterFree, func(sim *des.Sim) {
		var o kasan.Obj
		sim.Spawn("job", des.Task, func(p *des.Proc) { o.Alloc(sim, p, "job:1"); o.Free(p); p.Sleep(3); o.Free(p) })
	}},
	{"circular", "WARNING: possible circular locking dependency detected", oracle.LockOrder, func(sim *des.Sim) {
		a, b := lock.NewMutex(sim, "&adev->reset_sem"), lock.NewMutex(sim, "&dev->struct_mutex")
		sim.Spawn("ioctl", des.Task, func(p *des.Proc) { a.Lock(p); b.Lock(p); b.Unlock(p); a.Unlock(p) })
		sim.Spawn("reset", des.Task, func(p *des.Proc) { p.Sleep(10); b.Lock(p); a.Lock(p); a.Unlock(p); b.Unlock(p) })
	}},
	{"usage", "WARNING: inconsistent lock state", oracle.LockOrder, func(sim *des.Sim) {
		l := lock.NewSpinLock(sim, "&adev->irq.lock")
		sim.Spawn("hda_irq", des.IRQ, func(p *des.Proc) { l.Lock(p); l.Unlock(p) })
		sim.Spawn("ioctl", des.Task, func(p *des.Proc) { p.Sleep(5); l.Lock(p); l.Unlock(p) })
	}},
	{"bad-irq-dependency", "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", oracle.LockOrder, func(sim *des.Sim) {
		s, u := lock.NewSpinLock(sim, "S"), lock.NewSpinLock(sim, "U")
		sim.Spawn("plain", des.Task, func(p *des.Proc) { u.Lock(p); u.Unlock(p) })
		sim.Spawn("irq", des.IRQ, func(p *des.Proc) { p.Busy(5); s.Lock(p); s.Unlock(p) })
		sim.Spawn("nest", des.Task, func(p *des.Proc) {
			p.Sleep(10)
			s.LockIRQSave(p)
			u.Lock(p)
			u.Unlock(p)
			s.UnlockIRQRestore(p)
		})
	}},
	{"recursive", "WARNING: possible recursive locking detected", oracle.LockOrder, func(sim *des.Sim) {
		a, b := lock.NewMutex(sim, "&adev->reset_sem"), lock.NewMutex(sim, "&adev->reset_sem")
		sim.Spawn("reset", des.Task, func(p *des.Proc) { a.Lock(p); p.Sleep(2); b.Lock(p) })
	}},
	{"unlock-imbalance", "WARNING: bad unlock balance detected!", oracle.LockOrder, func(sim *des.Sim) {
		m, o := lock.NewMutex(sim, "&dev->struct_mutex"), lock.NewMutex(sim, "&adev->lock")
		sim.Spawn("remove", des.Task, func(p *des.Proc) { o.Lock(p); p.Sleep(4); m.Unlock(p); o.Unlock(p) })
	}},
	{"nested-lock-not-taken", "WARNING: Nested lock was not taken", oracle.LockOrder, func(sim *des.Sim) {
		c := lock.NewWWClass(sim, "reservation_ww_class")
		x := lock.NewWWMutex(c, "bo:1")
		sim.Spawn("exec", des.Task, func(p *des.Proc) {
			ctx := c.AcquireInit(p)
			ctx.Fini()
			p.Sleep(3)
			_ = x.Lock(p, ctx)
			x.Unlock(p)
		})
	}},
	{"max-lock-depth", "BUG: MAX_LOCK_DEPTH too low!", oracle.LockOrder, func(sim *des.Sim) {
		ms := make([]*lock.Mutex, 49)
		for i := range ms {
			ms[i] = lock.NewMutex(sim, fmt.Sprintf("&bo[%d]->lock", i))
		}
		sim.Spawn("exec", des.Task, func(p *des.Proc) {
			for _, m := range ms {
				m.Lock(p)
			}
			for i := len(ms) - 1; i >= 0; i-- {
				ms[i].Unlock(p)
			}
		})
	}},
	{"held-at-exit", "WARNING: remove still has locks held!", oracle.LockOrder, func(sim *des.Sim) {
		m := lock.NewMutex(sim, "&adev->reset_sem")
		sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(1); m.Lock(p) })
	}},
	{"warn-fence-released-pending", "WARNING: at drivers/dma-buf/dma-fence.c dma_fence_release", oracle.FenceNeverSignalled, func(sim *des.Sim) {
		ctx := fence.NewContext(sim, "amdgpu.gfx")
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			f := ctx.NewFence(p)
			_, _ = f.AddCallback(p, func(*des.Proc, *fence.Fence) {})
			p.Sleep(4)
			f.Put(p)
		})
	}},
	{"kmemleak-fence", "kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)", oracle.FenceLeak, func(sim *des.Sim) {
		fence.CheckLeaks(sim)
		ctx := fence.NewContext(sim, "amdgpu.gfx")
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			p.Sleep(2 * des.Millisecond)
			f := ctx.NewFence(p)
			f.Get(p) // a reference nothing drops
			_ = f.Signal(p)
			f.Put(p)
			ctx.Retire() // the device is torn down
		})
	}},
	{"warn-fence-set-error", "WARNING: at include/linux/dma-fence.h dma_fence_set_error", oracle.Panic, func(sim *des.Sim) {
		ctx := fence.NewContext(sim, "amdgpu.gfx")
		sim.Spawn("tdr", des.Worker, func(p *des.Proc) { f := ctx.NewFence(p); _ = f.Signal(p); f.SetError(p, -fence.ECANCELED) })
	}},
	{"warn-timer-delete-sync-in-irq", "WARNING: at kernel/time/timer.c __timer_delete_sync", oracle.Panic, func(sim *des.Sim) {
		t := timer.TimerSetup(sim, "amdgpu_fence_fallback", func(*des.Proc, *timer.Timer) {})
		sim.Spawn("amdgpu_irq", des.IRQ, func(p *des.Proc) { p.Busy(2); timer.DelTimerSync(p, t) })
	}},
	{"workqueue-leak", "BUG: workqueue leaked atomic, lock or RCU: kworker/amdgpu-reset-dev:0", oracle.LockOrder, func(sim *des.Sim) {
		m := lock.NewMutex(sim, "&adev->reset_sem")
		wq := workqueue.AllocWorkqueue(sim, "amdgpu-reset-dev", 1)
		w := workqueue.InitWork(sim, "amdgpu_device_reset_work", func(p *des.Proc, _ *workqueue.Work) { m.Lock(p) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) { workqueue.QueueWork(p, wq, w) })
	}},
	{"workqueue-drain-incomplete", "workqueue amdgpu-reset-dev: drain_workqueue() isn't complete after 1000 tries", oracle.Progress, func(sim *des.Sim) {
		wq := workqueue.AllocWorkqueue(sim, "amdgpu-reset-dev", 1)
		var w *workqueue.Work
		w = workqueue.InitWork(sim, "amdgpu_ras_poll", func(p *des.Proc, _ *workqueue.Work) { p.Sleep(1); workqueue.QueueWork(p, wq, w) })
		sim.Spawn("probe", des.Task, func(p *des.Proc) { workqueue.QueueWork(p, wq, w) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(3); workqueue.DestroyWorkqueue(p, wq) })
	}},
	{"bad-page-map", "BUG: Bad page map in process app", oracle.StalePTE, func(sim *des.Sim) {
		pg := mm.AllocPage(sim, nil, "dummy_page")
		app := mm.NewMM(sim, "app", mm.Options{})
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			vma, err := app.Mmap(p, mm.NewMapping(sim, "card0"), 0, 1, pageOps{pg}, nil)
			if err != nil {
				panic(err)
			}
			_ = app.Read(p, vma.Start)
			p.Sleep(10)
			_ = app.Write(p, vma.Start)
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(5); pg.Free(p) })
	}},
	{"irq-inversion", "WARNING: possible irq lock inversion dependency detected", oracle.LockOrder, func(sim *des.Sim) {
		s, u := lock.NewSpinLock(sim, "&adev->irq.lock"), lock.NewSpinLock(sim, "&ring->fence_drv.lock")
		sim.Spawn("amdgpu_irq", des.IRQ, func(p *des.Proc) { s.Lock(p); s.Unlock(p) })
		sim.Spawn("irq_work", des.Task, func(p *des.Proc) {
			p.Sleep(5)
			s.LockIRQSave(p)
			u.Lock(p)
			u.Unlock(p)
			s.UnlockIRQRestore(p)
		})
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) { p.Sleep(10); u.Lock(p); u.Unlock(p) })
	}},
	{"lock-held-returning-to-user", "WARNING: lock held when returning to user space!", oracle.LockOrder, func(sim *des.Sim) {
		m := lock.NewMutex(sim, "&adev->notifier_lock")
		drv := &drm.Driver{Ioctls: []drm.IoctlDesc{{Name: "AMDGPU_CS", Func: func(p *des.Proc, _ *drm.File, _ any) error {
			m.Lock(p) // an error path that forgets the unlock
			return nil
		}}}}
		d := drm.DevAlloc(sim, nil, "card0", drv)
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			d.DevRegister(p)
			f, err := d.Open(p, "cs_ioctl")
			if err != nil {
				panic(err)
			}
			_ = f.Ioctl(p, 0, nil)
		})
	}},
	{"might-sleep-mutex-in-irq", "BUG: sleeping function called from invalid context at kernel/locking/mutex.c", oracle.LockOrder, func(sim *des.Sim) {
		m := lock.NewMutex(sim, "&dev->lock")
		sim.Spawn("hda_irq", des.IRQ, func(p *des.Proc) { m.Lock(p); m.Unlock(p) })
	}},
	{"might-sleep-fence-wait", "BUG: sleeping function called from invalid context at drivers/dma-buf/dma-fence.c", oracle.LockOrder, func(sim *des.Sim) {
		sim.Spawn("amdgpu_irq", des.IRQ, func(p *des.Proc) { fence.MightWait(p, des.L("fence:gfx:1")) })
	}},
	{"page-fault", "BUG: unable to handle page fault for address", oracle.UseAfterUnmap, func(sim *des.Sim) {
		io := ioremapBAR(sim, "bar5")
		sim.Spawn("rescan_prepare", des.Task, func(p *des.Proc) { io.Iounmap(p) })
		sim.Spawn("ioctl", des.Task, func(p *des.Proc) { p.Sleep(10); io.Write32(p, 0x100, 1) })
	}},
	{"warn-double-iounmap", "WARNING: at arch/x86/mm/ioremap.c iounmap", oracle.UseAfterUnmap, func(sim *des.Sim) {
		io := ioremapBAR(sim, "bar0")
		sim.Spawn("remove", des.Task, func(p *des.Proc) { io.Iounmap(p); p.Sleep(2); io.Iounmap(p) })
	}},
	{"warn-lockdep-assert-held", "WARNING: at include/linux/lockdep.h lockdep_assert_held", oracle.LockOrder, func(sim *des.Sim) {
		reset, notifier := lock.NewMutex(sim, "&adev->reset_sem"), lock.NewMutex(sim, "&adev->notifier_lock")
		sim.Spawn("reset", des.Task, func(p *des.Proc) { p.Sleep(2); notifier.Lock(p); reset.AssertHeld(p); notifier.Unlock(p) })
	}},
	{"warn-resv-assert-held", "WARNING: at drivers/dma-buf/dma-resv.c dma_resv_add_fence", oracle.LockOrder, func(sim *des.Sim) {
		r := fence.NewResv(sim, "bo:1")
		f := fence.NewContext(sim, "amdgpu.gfx").NewFence(nil)
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) { p.Sleep(3); r.AddFence(p, f, fence.UsageWrite) })
	}},
	{"warn-srcu-read-unlock", "WARNING: at include/linux/srcu.h srcu_read_unlock", oracle.LockOrder, func(sim *des.Sim) {
		s := lock.NewSRCU(sim, "drm_unplug_srcu")
		sim.Spawn("ioctl", des.Task, func(p *des.Proc) { idx := s.ReadLock(p); p.Sleep(2); s.ReadUnlock(p, idx^1) })
	}},
	{"suspicious-rcu-synchronize", "WARNING: suspicious RCU usage", oracle.LockOrder, func(sim *des.Sim) {
		sim.Spawn("remove", des.Task, func(p *des.Proc) { rcu.ReadLock(p); p.Busy(2); rcu.Synchronize(p) })
	}},
	{"ww-lock-after-done", "DEBUG_LOCKS_WARN_ON(ww_ctx->done_acquire)", oracle.LockOrder, func(sim *des.Sim) {
		c := lock.NewWWClass(sim, "reservation_ww_class")
		x, y := lock.NewWWMutex(c, "bo:1"), lock.NewWWMutex(c, "bo:2")
		sim.Spawn("exec", des.Task, func(p *des.Proc) {
			ctx := c.AcquireInit(p)
			_ = x.Lock(p, ctx)
			ctx.Done()
			p.Sleep(2)
			_ = y.Lock(p, ctx)
		})
	}},
	{"ww-fini-with-locks-held", "DEBUG_LOCKS_WARN_ON(ctx->acquired)", oracle.LockOrder, func(sim *des.Sim) {
		c := lock.NewWWClass(sim, "reservation_ww_class")
		x := lock.NewWWMutex(c, "bo:1")
		sim.Spawn("exec", des.Task, func(p *des.Proc) {
			ctx := c.AcquireInit(p)
			_ = x.Lock(p, ctx)
			p.Sleep(2)
			ctx.Fini()
		})
	}},
	{"fence-job-timedout", "[drm:drm_sched_job_timedout] *ERROR* ring amdgpu.gfx timeout", oracle.FenceNeverSignalled, func(sim *des.Sim) {
		ctx := fence.NewContext(sim, "amdgpu.gfx")
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			done, lost := ctx.NewFence(p), ctx.NewFence(p)
			done.Publish(p)
			lost.Publish(p)
			p.Sleep(4)
			_ = done.Signal(p)
		})
	}},
	{"workqueue-lockup", "BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 30s!", oracle.Progress, func(sim *des.Sim) {
		wq := workqueue.AllocWorkqueue(sim, "amdgpu-reset-dev", 1)
		never := des.NewWaitQueue(sim, "reset_done")
		reset := workqueue.InitWork(sim, "amdgpu_device_reset_work", func(p *des.Proc, _ *workqueue.Work) {
			never.Wait(p, func() bool { return false })
		})
		poll := workqueue.InitWork(sim, "amdgpu_ras_poll", func(*des.Proc, *workqueue.Work) {})
		sim.Spawn("remove", des.Task, func(p *des.Proc) { workqueue.QueueWork(p, wq, reset); workqueue.QueueWork(p, wq, poll) })
	}},
	{"hung-task-work", "INFO: task kworker/amdgpu-reset-dev:0 blocked for more than 120 seconds.", oracle.Progress, func(sim *des.Sim) {
		wq := workqueue.AllocWorkqueue(sim, "amdgpu-reset-dev", 1)
		never := des.NewWaitQueue(sim, "reset_done")
		reset := workqueue.InitWork(sim, "amdgpu_device_reset_work", func(p *des.Proc, _ *workqueue.Work) {
			p.Sleep(3)
			never.Wait(p, func() bool { return false })
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) { workqueue.QueueWork(p, wq, reset) })
	}},
	{"soft-lockup-cancel-refused-work", "watchdog: BUG: soft lockup - CPU#0 stuck for 20s!", oracle.Progress, func(sim *des.Sim) {
		wq := workqueue.AllocWorkqueue(sim, "hda", 0)
		busy := workqueue.InitWork(sim, "azx_probe_work", func(p *des.Proc, _ *workqueue.Work) { p.Sleep(100) })
		unsol := workqueue.InitWork(sim, "snd_hdac_bus_process_unsol_events", func(*des.Proc, *workqueue.Work) {})
		sim.Spawn("azx_interrupt", des.IRQ, func(p *des.Proc) { p.Busy(50); workqueue.QueueWork(p, wq, unsol) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			workqueue.QueueWork(p, wq, busy)
			workqueue.DrainWorkqueue(p, wq)
			workqueue.CancelWorkSync(p, unsol)
		})
	}},
	{"warn-fault-retry-loop", "WARNING: at arch/x86/mm/fault.c do_user_addr_fault", oracle.Progress, func(sim *des.Sim) {
		app := mm.NewMM(sim, "app", mm.Options{MaxFaultsPerAccess: 4})
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			vma, err := app.Mmap(p, mm.NewMapping(sim, "card0"), 0, 1, retryOps{}, nil)
			if err != nil {
				panic(err)
			}
			_ = app.Read(p, vma.Start)
		})
	}},
	{"might-sleep-might-fault", "BUG: sleeping function called from invalid context at mm/memory.c", oracle.LockOrder, func(sim *des.Sim) {
		l := lock.NewSpinLock(sim, "&adev->mmio_idx_lock")
		app := mm.NewMM(sim, "app", mm.Options{})
		sim.Spawn("app", des.Task, func(p *des.Proc) { p.Sleep(2); l.Lock(p); app.MightFault(p); l.Unlock(p) })
	}},
	{"gpu-vm-fault-freed", "[gfxhub] no-retry page fault (src_id:0 ring:0 vmid:1 pasid:32768)", oracle.GPUUseAfterFree, func(sim *des.Sim) {
		vram := fence.NewBacking(sim, nil, "vram:bo1")
		job := fence.NewContext(sim, "amdgpu.gfx").NewFence(nil)
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) { p.Sleep(2); vram.Access(p, job, false) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(6); vram.Free(p) })
	}},
	{"gpu-vm-fault-reused", "[gfxhub] no-retry page fault (src_id:0 ring:0 vmid:1 pasid:32768)", oracle.GPUUseAfterFree, func(sim *des.Sim) {
		vram := fence.NewBacking(sim, nil, "vram:0x1000")
		job := fence.NewContext(sim, "amdgpu.sdma").NewFence(nil)
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) { p.Sleep(2); vram.Access(p, job, true) })
		sim.Spawn("evict", des.Worker, func(p *des.Proc) { p.Sleep(6); vram.Reuse(p, "page tables") })
	}},
	{"gpu-vm-fault-submit-after-free", "[gfxhub] no-retry page fault (src_id:0 ring:0 vmid:1 pasid:32768)", oracle.GPUUseAfterFree, func(sim *des.Sim) {
		vram := fence.NewBacking(sim, nil, "vram:bo1")
		job := fence.NewContext(sim, "amdgpu.gfx").NewFence(nil)
		sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(2); vram.Free(p) })
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) { p.Sleep(6); vram.Access(p, job, true) })
	}},
	{"fatal-signal-sigbus", "app: potentially unexpected fatal signal 7.", oracle.SIGBUS, func(sim *des.Sim) {
		app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			vma, err := app.Mmap(p, mm.NewMapping(sim, "card0"), 0, 1, sigbusOps{}, nil)
			if err != nil {
				panic(err)
			}
			p.Sleep(3)
			_ = app.Read(p, vma.Start)
		})
	}},
	{"dma-debug-pending-at-release", "WARNING: at kernel/dma/debug.c dma_debug_device_change", oracle.UseAfterFree, func(sim *des.Sim) {
		h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: true})
		if err != nil {
			panic(err)
		}
		drv := &lateUnmapDriver{}
		d, err := h.AddDevice(h.Root(), "0000:03:00.0", drv, pci.BARSpec{Index: 0, Size: 16 << 20})
		if err != nil {
			panic(err)
		}
		if err := h.Boot(); err != nil {
			panic(err)
		}
		if _, err := iommu.Attach(h); err != nil {
			panic(err)
		}
		sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
			if err := h.ProbeAll(p); err != nil {
				panic(err)
			}
			p.Sleep(3)
			h.Remove(p, d)
		})
		sim.Spawn("drm_dev_put", des.Task, func(p *des.Proc) { p.Sleep(10); drv.mp.Unmap(p) })
	}},
	{"runtime-pm-usage-count-underflow", "0000:03:00.0: Runtime PM usage count underflow!", oracle.RuntimePMUnderflow, func(sim *des.Sim) {
		rpm := pm.Init(sim, "0000:03:00.0", pm.Callbacks{})
		if err := rpm.SetActive(nil); err != nil {
			panic(err)
		}
		rpm.Enable(nil)
		sim.Spawn("amdgpu_pmops_runtime_idle", des.Task, func(p *des.Proc) {
			_ = rpm.GetSync(p)
			p.Sleep(4)
			_ = rpm.PutAutosuspend(p)
			_ = rpm.PutAutosuspend(p)
		})
	}},
	{"bug-resv-add-fence-without-slot", "kernel BUG at drivers/dma-buf/dma-resv.c!", oracle.Panic, func(sim *des.Sim) {
		r := fence.NewResv(sim, "bo:1")
		f := fence.NewContext(sim, "amdgpu.gfx").NewFence(nil)
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			if err := r.Lock(p, nil); err != nil {
				panic(err)
			}
			r.AddFence(p, f, fence.UsageWrite)
		})
	}},
}

func TestGolden(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim := des.MustNew(des.Config{Seed: 1})
			c.run(sim)
			v := modeltest.First(t, sim.Run(), c.kind)
			title, _, _ := strings.Cut(v.Msg, "\n")
			assert.Equal(t, c.title, title)
			golden(t, c.name+".txt", []byte(v.Msg+"\n"))
		})
	}
}

// destroy_workqueue's busy-pool WARN follows drain_workqueue's give-up in the same run, so it is
// the run's second report.
func TestGoldenDestroyBusy(t *testing.T) {
	sim := des.MustNew(des.Config{Seed: 1, CollectAll: true, MaxTime: 5000})
	wq := workqueue.AllocWorkqueue(sim, "amdgpu-reset-dev", 1)
	var w *workqueue.Work
	w = workqueue.InitWork(sim, "amdgpu_ras_poll", func(p *des.Proc, _ *workqueue.Work) { p.Sleep(1); workqueue.QueueWork(p, wq, w) })
	sim.Spawn("probe", des.Task, func(p *des.Proc) { workqueue.QueueWork(p, wq, w) })
	sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(3); workqueue.DestroyWorkqueue(p, wq) })
	r := sim.Run()
	require.GreaterOrEqual(t, len(r.Violations), 2)
	v := r.Violations[1]
	assert.Equal(t, oracle.Panic, v.Kind)
	title, _, _ := strings.Cut(v.Msg, "\n")
	assert.Equal(t, "WARNING: at kernel/workqueue.c destroy_workqueue", title)
	golden(t, "warn-destroy-workqueue-busy.txt", []byte(v.Msg+"\n"))
}

// The title is the same whatever the seed; the details may differ.
func TestTitleIsStableAcrossSeeds(t *testing.T) {
	for _, c := range cases {
		for seed := uint64(1); seed <= 5; seed++ {
			sim := des.MustNew(des.Config{Seed: seed})
			c.run(sim)
			v := modeltest.First(t, sim.Run(), c.kind)
			title, _, _ := strings.Cut(v.Msg, "\n")
			assert.Equal(t, c.title, title, "%s seed %d", c.name, seed)
			assert.NotRegexp(t, `[0-9a-f]{8}|trace #|@[0-9]`, title)
		}
	}
}

// Correct use makes no report: the same objects in the right order.
func TestCorrectUseIsQuiet(t *testing.T) {
	sim := des.MustNew(des.Config{Seed: 1})
	var o kasan.Obj
	a, b := lock.NewMutex(sim, "A"), lock.NewMutex(sim, "B")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		o.Alloc(sim, p, "bo:1")
		o.Use(p, "amdgpu_bo_move")
		o.Free(p)
		a.Lock(p)
		b.Lock(p)
		b.Unlock(p)
		a.Unlock(p)
	})
	sim.Spawn("y", des.Task, func(p *des.Proc) { p.Sleep(3); a.Lock(p); b.Lock(p); b.Unlock(p); a.Unlock(p) })
	modeltest.OK(t, sim.Run())
}

func TestSyntheticAddressesAreDeterministic(t *testing.T) {
	assert.Equal(t, splat.SlabAddr("bo:1"), splat.SlabAddr("bo:1"))
	assert.NotEqual(t, splat.SlabAddr("bo:1"), splat.SlabAddr("bo:2"))
	assert.Equal(t, uint64(0xffff888100000000), splat.SlabAddr("bo:1")&0xffffffff00000000)
	assert.Equal(t, uint64(0xffffc900e0000100), splat.IORemapAddr(0xe000_0100))
}

// pageOps maps every page of a mapping at one system page.
type pageOps struct{ pg *mm.Page }

func (o pageOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	return vmf.VMA.InsertPage(p, vmf.Address, o.pg)
}

// lateUnmapDriver maps a page table BO at probe and leaves its unmapping to whoever drops the
// last reference, after remove.
type lateUnmapDriver struct{ mp *iommu.Mapping }

func (*lateUnmapDriver) Name() string { return "xe" }

func (x *lateUnmapDriver) Probe(p *des.Proc, d *pci.Dev) error {
	x.mp = iommu.DMAMap(p, d, 64<<10, "migrate-pt-bo")
	return nil
}

func (*lateUnmapDriver) Remove(*des.Proc, *pci.Dev) {}

// sigbusOps answers every fault with VM_FAULT_SIGBUS, as TTM does after unplug under the
// SIGBUS policy.
type sigbusOps struct{}

func (sigbusOps) Fault(*des.Proc, *mm.VMFault) mm.FaultResult { return mm.VMFaultSIGBUS }

// retryOps drops mmap_lock and asks for a retry at every fault, never mapping anything.
type retryOps struct{}

func (retryOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	vmf.MmapReadUnlock(p)
	return mm.VMFaultRetry
}

// ioremapBAR claims the BAR bar of device 0000:09:00.0 at 0xe0000000 and maps its first page.
func ioremapBAR(sim *des.Sim, bar string) *mem.IOMem {
	r := mem.SpaceOf(sim).NewOwner("0000:09:00.0").NewRegion(bar, 0x10000)
	if err := r.Claim(0xe000_0000); err != nil {
		panic(err)
	}
	return mem.SpaceOf(sim).Ioremap(nil, r.Base(), 0x1000)
}
