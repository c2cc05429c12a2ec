package firmware

import (
	"hotplugsim/des"
	"hotplugsim/model/workqueue"
)

// Device is the struct device a request_firmware_nowait is made for: the load holds a
// reference on it (get_device) until the callback returned (put_device). model/pci's Dev is
// one.
type Device interface {
	GetDevice(p *des.Proc)
	PutDevice(p *des.Proc)
}

// Cont is the driver's callback (cont): fw is the image, or nil when the load failed. The
// callback owns fw and releases it.
type Cont func(p *des.Proc, fw *Firmware)

// fwWork is struct firmware_work.
type fwWork struct {
	work *workqueue.Work
	name string
	dev  Device
	cont Cont
}

// RequestNowait is request_firmware_nowait: it takes a reference on dev and schedules the
// load on the system workqueue, whose request_firmware_work_func loads name (fault site
// SiteRequestNowait), calls cont with the result and drops the reference. The caller may
// return (or its device may be removed) before cont runs.
func RequestNowait(p *des.Proc, name string, dev Device, cont Cont) error {
	if dev == nil || cont == nil {
		panic("firmware: RequestNowait needs a device and a callback")
	}
	sim := p.Sim()
	fw := &fwWork{name: name, dev: dev, cont: cont}
	p.Point(evNowait, des.L(des.Join(sim, "firmware:", name)), 0, 0)
	dev.GetDevice(p)
	fw.work = workqueue.InitWorkKey(sim, des.Join(sim, "request_firmware_work_func:", name),
		"(&fw_work->work)", fw.run)
	workqueue.ScheduleWork(p, fw.work)
	return nil
}

// run is request_firmware_work_func.
func (w *fwWork) run(p *des.Proc, work *workqueue.Work) {
	fw, _ := request(p, w.name, SiteRequestNowait)
	p.Trace(evCont, work.Label(), boolInt(fw != nil), 0)
	w.cont(p, fw)
	w.dev.PutDevice(p) // taken in request_firmware_nowait()
	work.Free(p)       // kfree(fw_work)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
