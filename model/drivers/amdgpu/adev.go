package amdgpu

import (
	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/firmware"
	"hotplugsim/model/irq"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
	"hotplugsim/model/sched"
	"hotplugsim/model/timer"
	"hotplugsim/model/ttm"
	"hotplugsim/model/workqueue"
)

// RingFenceLockClass is the lockdep class of every amdgpu ring's fence lock
// (amdgpu_fence_driver_init_ring: spin_lock_init(&ring->fence_drv.lock)).
const RingFenceLockClass = "&ring->fence_drv.lock"

// BARs and registers of the modelled GPU.
const (
	barVRAM = 0 // CPU-visible VRAM (large BAR)
	barMMIO = 5 // register BAR (adev->rmmio)

	vramBARBytes = 1 << 20
	mmioBARBytes = 64 << 10

	regInit    = 0x0010 // written at probe (HW init)
	regStatus  = 0x0080 // GRBM_STATUS: read by the idle work
	regWPTR    = 0x0100 // ring write pointer / doorbell: written by run_job
	regClockLo = 0x0200 // RLC_GPU_CLOCK_COUNT_LSB: AMDGPU_INFO_TIMESTAMP
	regClockHi = 0x0204 // RLC_GPU_CLOCK_COUNT_MSB
	regPG      = 0x0300 // power gating: written by the idle work
	regFence   = 0x0400 // fence value: read by the fallback timer
	regReset   = 0x0500 // soft reset: written by GPU recovery
	regFini    = 0x0010 // written by the early HW fini (same register as init)
)

// Timing of the modelled driver.
const (
	tdrTimeout         = 100 * des.Microsecond // drm_sched timeout (amdgpu.lockup_timeout, scaled)
	idleDelay          = 20 * des.Microsecond  // ring idle work (GFX_OFF/VCN_IDLE_TIMEOUT, scaled)
	fallbackDelay      = 50 * des.Microsecond  // AMDGPU_FENCE_JIFFIES_TIMEOUT, scaled
	entityFlushTimeout = 50 * des.Microsecond  // drm_sched_entity_flush at file close
	maxIdleRequeues    = 256                   // bound on the idle work re-arming itself
	maxFallbackRearms  = 256                   // bound on the fallback timer re-arming itself
	hwSubmission       = 2                     // jobs on the ring at once
	vramPages          = vramBARBytes / 4096
)

var (
	evProbe     = des.L("amdgpu:probe")
	evRemove    = des.L("amdgpu:remove")
	evFinalise  = des.L("amdgpu:finalise-fences")
	evFiniHW    = des.L("amdgpu:fini-hw")
	evFiniSW    = des.L("amdgpu:fini-sw")
	evFlush     = des.L("amdgpu:wait-files")
	evSkipRun   = des.L("amdgpu:run-job-skipped")
	evTDRENODEV = des.L("amdgpu:tdr-enodev")
	evRecover   = des.L("amdgpu:gpu-recover")
	evRejected  = des.L("amdgpu:job-rejected")

	// Spans (Obj: the incarnation's name).
	spProbe    = des.NewSpan("probe")
	spRemove   = des.NewSpan("remove")
	spUnplug   = des.NewSpan("drm_dev_unplug")
	spFinalise = des.NewSpan("finalise-fences")
	spFiniHW   = des.NewSpan("fini-hw")
	spFlush    = des.NewSpan("wait-files")
)

// adevice is struct amdgpu_device: one bound incarnation of a GPU. It has a KASAN lifetime:
// drmm-released at the last drm_device reference (v6, noguard) or freed by the remove path
// (sigbus).
type adevice struct {
	kasan.Obj
	g        *GPU
	gen      int
	name     string
	label    des.Label
	feat     features
	pdev     *pci.Dev
	ddev     *drm.Device
	tdev     *ttm.Device
	rmmio    *mem.IOMem
	ring     *sched.Ring
	sched    *sched.Scheduler
	pushSem  *lock.RWSem // "Add rw_sem to pushing job into sched queue"
	clients  []*Client
	idle     *workqueue.DelayedWork
	fallback *timer.Timer
	gfxFW    *firmware.Firmware // adev->gfx.me_fw, until fini_sw's amdgpu_ucode_release
	files    *des.WaitQueue     // sigbus: the remove path waits for the files to close
	fns      *adevFns           // a's methods as values, kept by a recycled adevice

	finalised    bool // fences finalised: no new jobs
	hangNext     bool // the next job hangs the ring (gpu-hang event)
	idleRequeues int
	rearms       int
	probed       bool // probe completed: the incarnation was bound
	removed      bool // amdgpu_pci_remove started
	hwFinied     bool // early HW fini ran: timers and work must not touch anything
	swFinied     bool
	jobs         int // jobs run on the hardware
}

var (
	adevices = des.NewSlabKey[adevice]()
	clients  = des.NewSlabKey[Client]()
	bos      = des.NewSlabKey[BO]()
	jobDatas = des.NewSlabKey[jobData]()
	creates  = des.NewSlabKey[createArg]()
	css      = des.NewSlabKey[csArg]()
	slots    = des.NewSlabKey[openSlot]()
	imports  = des.NewSlabKey[importArg]()
	dmaBufs  = des.NewSlabKey[DmaBuf]()
	snaps    = des.NewSlabKey[clientSnap]()
)

// clientSnap is the storage of one snapshot of a device's clients.
type clientSnap struct{ s []*Client }

// Recycle keeps the storage (des.Recycler).
func (c *clientSnap) Recycle() { clear(c.s[:cap(c.s)]); c.s = c.s[:0] }

// adevFns are an adevice's methods as func values (and its drm_driver), made once for the
// address they bind: a sweep worker's next run on the same recycled adevice finds them made.
type adevFns struct {
	drv                       drm.Driver
	ioctls                    [numIoctls]drm.IoctlDesc
	finiSW                    func(p *des.Proc)
	irqHandler                func(p *des.Proc) irq.Return
	runJob                    func(p *des.Proc, j *sched.Job) *fence.Fence
	timedoutJob               func(p *des.Proc, j *sched.Job) sched.Stat
	cancelJob                 func(p *des.Proc, j *sched.Job)
	idleWork                  func(p *des.Proc, w *workqueue.Work)
	fallbackTimer             func(p *des.Proc, t *timer.Timer)
	openHook                  func(p *des.Proc, f *drm.File) error
	postclose                 func(p *des.Proc, f *drm.File)
	lastclose                 func(*des.Proc, *drm.Device)
	gemCreate, cs, wait, info func(p *des.Proc, f *drm.File, arg any) error
	export, imp               func(p *des.Proc, f *drm.File, arg any) error
}

// Recycle keeps the method values, which bind the same address (des.Recycler).
func (a *adevice) Recycle() {
	clear(a.clients[:cap(a.clients)])
	*a = adevice{fns: a.fns, clients: a.clients[:0]}
}

// bind makes a's method values once.
func (a *adevice) bind() {
	if a.fns != nil {
		return
	}
	a.fns = &adevFns{finiSW: a.finiSW, irqHandler: a.irqHandler, runJob: a.runJob,
		timedoutJob: a.timedoutJob, cancelJob: a.cancelJob, idleWork: a.idleWork, fallbackTimer: a.fallbackTimer,
		openHook: a.openHook, postclose: a.postclose,
		lastclose: func(*des.Proc, *drm.Device) { a.files.WakeAll() },
		gemCreate: a.gemCreateIoctl, cs: a.csIoctl, wait: a.waitIoctl, info: a.infoIoctl,
		export: a.exportIoctl, imp: a.importIoctl}
}

// probe is amdgpu_pci_probe + amdgpu_driver_load_kms.
func (g *GPU) probe(p *des.Proc, pdev *pci.Dev) error {
	g.assertProbe()
	sim := g.sim
	g.gen++
	name := g.name
	if g.gen > 1 {
		name = g.name + "." + itoa(g.gen)
	}
	a := adevices.New(sim)
	a.g, a.gen, a.name, a.label, a.feat, a.pdev = g, g.gen, name, des.L(name), g.policy.features, pdev
	a.bind()
	spProbe.Begin(p, a.label, 0, 0)
	defer spProbe.End(p, a.label, 0, 0)
	p.Point(evProbe, a.label, int64(a.gen), 0)
	a.Alloc(sim, p, des.Join(sim, "amdgpu_device:", name))
	a.rmmio = pdev.Iomap(p, barMMIO)
	pdev.HW().SetGoneCheck(mem.GonePolls) // every root checks drm_dev_enter (see doc.go)
	ddev, err := drm.DevmDrmDevAlloc(sim, p, pdev.Devm(), name, a.drmDriver())
	if err != nil {
		return err
	}
	a.ddev = ddev
	if !a.feat.sigbus { // the v6 series: SW state lives until the last drm_device reference
		if err := ddev.DrmmAddAction(p, "amdgpu_device_fini_sw", a.fns.finiSW); err != nil {
			return err
		}
	}
	a.tdev, err = ttm.NewDevice(sim, ddev, pdev.BAR(barVRAM).Region(), ttm.Options{
		VRAMPages: vramPages, DMA: ttm.IOMMUMapper(pdev), SIGBUSAfterUnplug: a.feat.sigbus})
	if err != nil {
		return err
	}
	gfx := des.Join(sim, name, ".gfx")
	a.ring = sched.NewRingClass(sim, gfx, RingFenceLockClass)
	a.ring.AttachHW(pdev.Link()) // surprise removal stops the engine (only remove completes its jobs), a frozen channel pauses it
	// amdgpu_irq_init (the IH block's sw_init): request_irq of the function's vector. The
	// ring's fence interrupt reaches amdgpu_fence_process only through it.
	a.ring.AttachIRQ(g.line)
	if err := irq.RequestIRQ(p, g.line, DriverName, a.fns.irqHandler); err != nil {
		return err
	}
	ops := sched.Ops{RunJob: a.fns.runJob, TimedoutJob: a.fns.timedoutJob, FreeJob: freeJob}
	if a.feat.cancelJob {
		ops.CancelJob = a.fns.cancelJob
	}
	a.sched = sched.Init(sim, sched.Config{Name: gfx, HWSubmission: hwSubmission, Timeout: tdrTimeout}, ops)
	a.pushSem = lock.NewRWSem(sim, "adev->sched_push_sem")
	// Lockdep classes by init site, shared by every device (INIT_DELAYED_WORK, timer_setup).
	a.idle = workqueue.InitDelayedWorkKey(sim, des.Join(sim, name, ".idle_work"), "(&(&adev->gfx.gfx_off_delay_work)->work)", a.fns.idleWork)
	a.fallback = timer.TimerSetupKey(sim, des.Join(sim, name, ".fence_fallback"), "&ring->fence_drv.fallback_timer", a.fns.fallbackTimer)
	a.files = des.NewWaitQueue(sim, des.Join(sim, name, ".files"))
	if err := a.initMicrocode(p); err != nil {
		a.unloadKMS(p)
		return err
	}
	a.gfxFW.Read(p, "amdgpu_ucode_init_bo")
	a.rmmio.Write32(p, regInit, 1)
	if err := ddev.DevRegister(p); err != nil {
		a.unloadKMS(p)
		return err
	}
	pdev.SetDrvdata(a)
	g.cur = a
	a.probed = true
	return nil
}

// initMicrocode is gfx_v9_0_init_microcode's amdgpu_ucode_request of the CP microcode: the
// IP blocks' early_init requests it in amdgpu_device_ip_early_init, before the interrupt;
// the model asks after its sw init (see doc.go), so a failure unwinds as the others do. Any
// request_firmware failure is -ENODEV, "so that early_init functions will fail to load".
func (a *adevice) initMicrocode(p *des.Proc) error {
	fw, err := firmware.RequestFirmware(p, GfxMicrocode)
	if err != nil {
		return drm.ErrNoDev
	}
	a.gfxFW = fw
	return nil
}

// unloadKMS is amdgpu_driver_load_kms's error path, amdgpu_driver_unload_kms ->
// amdgpu_device_fini_hw (free_irq, iounmap), which amdgpu_pci_probe's unload_kms label also
// takes for a failed drm_dev_register; fini_sw follows at the drm device's final (devm) put.
// With the older "goto err_pci" the interrupt stays requested on the adev that devm frees.
func (a *adevice) unloadKMS(p *des.Proc) {
	a.finiHW(p)
	if a.feat.sigbus {
		a.finiSW(p)
	}
}

// remove is amdgpu_pci_remove, per policy.
func (a *adevice) remove(p *des.Proc) {
	a.assertRemove()
	a.removed = true
	spRemove.Begin(p, a.label, 0, 0)
	defer spRemove.End(p, a.label, 0, 0)
	p.Point(evRemove, a.label, int64(a.gen), 0)
	if a.g.cur == a {
		a.g.cur = nil
	}
	if a.feat.completeFirst {
		// Every fence this device will ever signal is signalled before drm_dev_unplug, so
		// its synchronize_srcu waits for no fence: only the force-completions are annotated.
		// A run_job in flight (under drm_dev_enter, the device not yet unplugged) may emit
		// a hardware fence on the halted ring after the first force-completion; the second,
		// after drm_sched_fini joined the scheduler thread, signals it.
		cookie := fence.BeginSignalling(p)
		a.finaliseFences(p)
		fence.EndSignalling(p, cookie)
		sched.Fini(p, a.sched)
		cookie = fence.BeginSignalling(p)
		a.ring.ForceCompletion(p, -fence.ENODEV)
		fence.EndSignalling(p, cookie)
		a.killEntities(p)
		a.devUnplug(p)
	} else if a.feat.finalise {
		// The fence signalling critical path, annotated as the series' TODO asks: nothing
		// inside drm_dev_enter may wait for a fence this path signals after synchronize_srcu.
		if a.feat.annotate {
			cookie := fence.BeginSignalling(p)
			a.devUnplug(p)
			a.finaliseFences(p)
			fence.EndSignalling(p, cookie)
		} else {
			a.devUnplug(p)
			a.finaliseFences(p)
		}
		sched.Fini(p, a.sched)
		a.killEntities(p)
	} else {
		a.devUnplug(p)
	}
	a.finiHW(p)
	if a.feat.sigbus {
		spFlush.Begin(p, a.label, 0, 0)
		p.Point(evFlush, a.label, int64(a.ddev.OpenCount()), 0)
		a.files.Wait(p, func() bool { return a.ddev.OpenCount() == 0 })
		spFlush.End(p, a.label, 0, 0)
		a.finiSW(p)
	}
}

// devUnplug is drm_dev_unplug with its span.
func (a *adevice) devUnplug(p *des.Proc) {
	spUnplug.Begin(p, a.label, 0, 0)
	a.ddev.DevUnplug(p)
	a.pdev.HW().MarkUnplugged(p)
	spUnplug.End(p, a.label, 0, 0)
}

// finaliseFences is "drm/amdgpu: Finalise device fences on device remove" with the rw_sem
// of "Add rw_sem to pushing job into sched queue": no job is pushed after it, and every
// hardware fence is signalled (-ENODEV).
func (a *adevice) finaliseFences(p *des.Proc) {
	spFinalise.Begin(p, a.label, 0, 0)
	defer spFinalise.End(p, a.label, 0, 0)
	p.Point(evFinalise, a.label, 0, 0)
	a.pushSem.DownWrite(p)
	a.finalised = true
	a.pushSem.UpWrite(p)
	a.ring.Unplug() // the engines are halted (or gone)
	a.ring.ForceCompletion(p, -fence.ENODEV)
}

// killEntities kills every entity of the device after drm_sched_fini, so jobs still queued
// (never run) signal -ESRCH instead of never.
func (a *adevice) killEntities(p *des.Proc) {
	snap := snaps.New(a.g.sim) // this call's, kept for the next run
	snap.s = append(snap.s, a.clients...)
	for _, c := range snap.s { // postclose edits the list meanwhile
		sched.EntityKill(p, c.entity)
		sched.EntityKill(p, c.vm)
	}
}

// finiHW is amdgpu_device_fini_hw (the "early fini" of the series): stop the background
// work, halt the rings, clear the DMA mappings (IOMMU) and unmap all MMIO.
func (a *adevice) finiHW(p *des.Proc) {
	spFiniHW.Begin(p, a.label, 0, 0)
	defer spFiniHW.End(p, a.label, 0, 0)
	p.Point(evFiniHW, a.label, 0, 0)
	a.assertFiniHW()
	a.hwFinied = true
	workqueue.CancelDelayedWorkSync(p, a.idle)
	timer.DelTimerSync(p, a.fallback)
	a.ring.Unplug()
	a.rmmio.Write32(p, regFini, 0) // amdgpu_device_ip_fini_early
	// amdgpu_irq_fini_hw: free_irq waits for a fence interrupt in progress, and no completion
	// is processed after it; fini_sw (drm_sched_fini, kfree) comes later.
	irq.FreeIRQ(p, a.g.line)
	a.tdev.ClearDMAMappings(p)
	a.rmmio.Iounmap(p)
}

// finiSW is amdgpu_device_fini_sw + kfree(adev): a drmm action in v6 and noguard, called by
// the remove path in sigbus.
func (a *adevice) finiSW(p *des.Proc) {
	a.assertFiniSW()
	a.swFinied = true
	p.Point(evFiniSW, a.label, 0, 0)
	if a.sched.Ready() {
		sched.Fini(p, a.sched)
	}
	if a.feat.flushKill {
		sched.FlushKillJobs(p, a.sched)
	}
	a.ring.Fini(p) // amdgpu_fence_driver_sw_fini: dma_fence_put of fence_drv.fences
	a.sched.Free(p)
	a.idle.Free(p)
	firmware.ReleaseFirmware(p, a.gfxFW) // amdgpu_ucode_release in gfx sw_fini
	a.gfxFW = nil
	a.Free(p)
}

// irqHandler is amdgpu_irq_handler: the IH ring's fence entries end in amdgpu_fence_process
// of the ring (one ring here).
func (a *adevice) irqHandler(p *des.Proc) irq.Return {
	if !a.Use(p, "amdgpu_irq_handler") {
		return irq.None
	}
	a.ring.FenceProcess(p)
	return irq.Handled
}

// enter is drm_dev_enter at a root when the policy guards roots; without guards it always
// succeeds.
func (a *adevice) enter(p *des.Proc) (int, bool) {
	if !a.feat.guards {
		return -1, true
	}
	return a.ddev.DevEnter(p)
}

func (a *adevice) exit(p *des.Proc, idx int) {
	if idx >= 0 && a.feat.guards {
		drm.DevExit(p, idx)
	}
}

// freeJob is amdgpu_job_free_cb: drm_sched_job_cleanup, then the job is freed.
func freeJob(p *des.Proc, j *sched.Job) {
	sched.JobCleanup(p, j)
	j.Free(p)
}

// jobData is the driver's part of a job: how long it runs on the ring.
type jobData struct{ dur des.Duration }

// runJob is amdgpu_job_run -> amdgpu_ib_schedule: emit the job and ring the doorbell.
func (a *adevice) runJob(p *des.Proc, j *sched.Job) *fence.Fence {
	idx, ok := a.enter(p)
	if !ok { // the device is gone: skip the IB
		p.Trace(evSkipRun, a.label, 0, 0)
		j.Finished().SetError(p, -fence.ENODEV)
		return nil
	}
	hang := a.hangNext
	a.hangNext = false
	d := des.Duration(1)
	if jd, ok := j.Payload.(*jobData); ok && jd.dur > 0 {
		d = jd.dur
	}
	hw := a.ring.Submit(p, d, hang)
	a.jobs++
	a.rmmio.Write32(p, regWPTR, uint32(a.jobs))
	timer.ModTimer(p, a.fallback, p.Now().Add(fallbackDelay))
	workqueue.QueueDelayedWork(p, workqueue.SystemWQ(p.Sim()), a.idle, idleDelay)
	a.exit(p, idx)
	return hw
}

// timedoutJob is amdgpu_job_timedout: after unplug it returns ENODEV (no recovery, no
// rearm: "Prevent any job recoveries after device is unplugged"); otherwise it resets the
// GPU. The scheduler side of the recovery runs after drm_dev_exit, outside the SRCU section.
func (a *adevice) timedoutJob(p *des.Proc, j *sched.Job) sched.Stat {
	idx, ok := a.enter(p)
	if !ok {
		p.Trace(evTDRENODEV, a.label, 0, 0)
		return sched.StatENODEV
	}
	p.Point(evRecover, a.label, 0, 0)
	a.rmmio.Write32(p, regReset, 1)
	a.rmmio.Write32(p, regReset, 0)
	a.exit(p, idx)
	a.recoverRing(p, j)
	return sched.StatNominal
}

// recoverRing is the scheduler side of amdgpu_device_gpu_recover: drm_sched_stop with the
// bad job (the TDR took it off the pending list; it goes back, so it is freed as any job
// is), the ring's fences force-completed with -ETIME (amdgpu_device_pre_asic_reset), and
// drm_sched_start, which completes the jobs whose hardware callback the stop took.
func (a *adevice) recoverRing(p *des.Proc, bad *sched.Job) {
	sched.Stop(p, a.sched, bad)
	a.ring.ForceCompletion(p, -fence.ETIME)
	sched.Start(p, a.sched, -fence.ETIME)
}

// cancelJob is the scheduler's cancel_job (v6.17): signal the job's hardware fence with
// -ECANCELED. The ring's fences signal in order, so it is amdgpu_fence_driver_force_completion
// of the ring, which a first call makes and later ones find done. A fence interrupt may have
// taken the fence off the ring before and not yet signalled it (amdgpu_fence_process claims
// its range first): synchronize_irq waits for it, so the job's callback has run before
// drm_sched_fini frees the job.
func (a *adevice) cancelJob(p *des.Proc, j *sched.Job) {
	if hw := j.Parent(); hw != nil && !hw.Signalled() {
		a.ring.ForceCompletion(p, -fence.ECANCELED)
	}
	irq.SynchronizeIRQ(p, a.g.line)
}

// idleWork is the ring idle work (amdgpu_gfx_off_delayed_work / vcn idle_work): gate the
// engine once the ring is empty, else look again later.
func (a *adevice) idleWork(p *des.Proc, _ *workqueue.Work) {
	if a.hwFinied && a.feat.guards {
		return
	}
	idx, ok := a.enter(p)
	if !ok {
		return
	}
	a.rmmio.Read32(p, regStatus)
	if a.ring.Outstanding() > 0 {
		if a.idleRequeues < maxIdleRequeues {
			a.idleRequeues++
			workqueue.QueueDelayedWork(p, workqueue.SystemWQ(p.Sim()), a.idle, idleDelay)
		}
	} else {
		a.rmmio.Write32(p, regPG, 1)
	}
	a.exit(p, idx)
}

// fallbackTimer is amdgpu_fence_fallback: poll the fence value while fences are
// outstanding (the interrupt may have been lost).
func (a *adevice) fallbackTimer(p *des.Proc, t *timer.Timer) {
	idx, ok := a.enter(p)
	if !ok {
		return
	}
	if a.ring.Outstanding() > 0 {
		a.rmmio.Read32(p, regFence)
		if a.rearms < maxFallbackRearms {
			a.rearms++
			timer.ModTimer(p, t, p.Now().Add(fallbackDelay))
		}
	}
	a.exit(p, idx)
}

// submitVMClear is the page-table update amdgpu_vm_fini pushes at file close on the file's
// VM entity: a kernel job not under any ioctl's drm_dev_enter, which only the rw_sem keeps
// from a finalised device.
func (a *adevice) submitVMClear(p *des.Proc, c *Client) {
	if a.feat.finalise {
		a.pushSem.DownRead(p)
		defer a.pushSem.UpRead(p)
		if a.finalised {
			p.Trace(evRejected, a.label, 0, 0)
			return
		}
	}
	j, err := sched.JobInit(p, c.vm, des.Join(a.g.sim, a.name, ".vm_clear"))
	if err != nil {
		return
	}
	jd := jobDatas.New(a.g.sim)
	jd.dur = des.Microsecond
	j.Payload = jd
	j.Arm(p)
	sched.PushJob(p, j)
}

// vmFini is amdgpu_vm_fini: the page tables are cleared (a job on the VM's entity), then
// amdgpu_vm_fini_entities destroys the entity (drm_sched_entity_destroy), which drops its
// last scheduled fence.
func (a *adevice) vmFini(p *des.Proc, c *Client) {
	a.submitVMClear(p, c)
	sched.EntityDestroy(p, c.vm, entityFlushTimeout)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
