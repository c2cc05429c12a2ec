package reports_test

import (
	"hotplugsim/des"
	"hotplugsim/reports"
)

// Labels of the fixture's model events.
var (
	evIoctlBegin = des.L("ioctl:begin")
	evIoctlEnd   = des.L("ioctl:end")
	evFaultBegin = des.L("fault:begin")
	evFaultEnd   = des.L("fault:end")
	evRemoveBeg  = des.L("remove:begin")
	evRemoveEnd  = des.L("remove:end")
	evMMIORead   = des.L("mmio-read")
	evIounmap    = des.L("iounmap")
	evIRQ        = des.L("irq")
	evQueueWork  = des.L("queue-work")
	evPTE        = des.L("pte-install")
	objCS        = des.L("AMDGPU_CS")
	objBar0      = des.L("gpu0.bar0")
	objBO        = des.L("bo:7")
	objGPU       = des.L("gpu0")
)

// fixtureRun is a small unplug race on the bare engine, deterministic under fifo: app0
// submits ioctls that read a BAR register and wait for a fence the worker signals; an
// irq handler queues the work; app1 faults a BO in, unrelated; remove iounmaps the BAR
// while app0 still submits, and app0's next read is a use-after-unmap.
func fixtureRun() (reports.Run, des.Result) {
	var events []des.Event
	s := des.MustNew(des.Config{Seed: 1, Sink: func(e des.Event) { events = append(events, e) }})
	mapped := true
	fence := des.NewWaitQueue(s, "fence:gfx")
	work := des.NewWaitQueue(s, "wq:gfx")
	pending, signalled := 0, 0
	s.Spawn("app0", des.Task, func(p *des.Proc) {
		for i := 0; i < 6; i++ {
			p.Trace(evIoctlBegin, objCS, 0, 0)
			p.Point(evMMIORead, objBar0, 0x10, 0)
			if !mapped {
				p.Sim().Violate(p, "use-after-unmap", objBar0, "readl(gpu0.bar0+0x10) after iounmap by remove#4")
			}
			p.Busy(2 * des.Microsecond)
			want := signalled + 1
			fence.WaitTimeout(p, func() bool { return signalled >= want }, 50*des.Microsecond)
			p.Trace(evIoctlEnd, objCS, 0, 0)
			p.Sleep(3 * des.Microsecond)
		}
	})
	s.Spawn("app1", des.Task, func(p *des.Proc) {
		for i := 0; i < 3; i++ {
			p.Trace(evFaultBegin, objBO, 0x1000*int64(i), 0)
			p.Busy(1500 * des.Nanosecond)
			p.Point(evPTE, objBO, 0x1000*int64(i), 0)
			p.Trace(evFaultEnd, objBO, 0, 0)
			p.Sleep(7 * des.Microsecond)
		}
	})
	s.Spawn("irq:gpu0", des.IRQ, func(p *des.Proc) {
		for i := 0; i < 5; i++ {
			p.Busy(4 * des.Microsecond)
			p.Point(evIRQ, objGPU, int64(i), 0)
			pending++
			p.Point(evQueueWork, des.L("wq:gfx"), 0, 0)
			work.WakeAll()
		}
	})
	s.Spawn("kworker/0:1", des.Worker, func(p *des.Proc) {
		for {
			work.Wait(p, func() bool { return pending > 0 })
			pending--
			p.Busy(1 * des.Microsecond)
			signalled++
			fence.WakeAll()
		}
	}).SetDaemon()
	s.Spawn("remove", des.Task, func(p *des.Proc) {
		p.Sleep(16 * des.Microsecond)
		p.Trace(evRemoveBeg, objGPU, 0, 0)
		p.Busy(500 * des.Nanosecond)
		p.Point(evIounmap, objBar0, 0, 0)
		mapped = false
		p.Trace(evRemoveEnd, objGPU, 0, 0)
	})
	res := s.Run()
	return reports.Run{Title: "fixture: unplug race (seed 1, fifo)", Events: events,
		Names: reports.ProcNames(s), Violations: res.Violations}, res
}
