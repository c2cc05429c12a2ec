package igt

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/mm"
	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuapp"
	"hotplugsim/workloads/bospec"
	"hotplugsim/workloads/xeapp"
)

// This file is the optional background load (IGT's -with-load idea): the Spec's apps run on
// the devices while the subtest unbinds, removes, rebinds and rescans under them. An app opens
// its own file; when the device goes away under it (-ENODEV, or a job fence that signals with
// an error) it closes that file and opens the next incarnation at its next operation, if
// there is one by then. Operations that find no bound driver are skipped, so every app ends
// after its Ops operations.

// maxBOPages caps a Spec BO of an xe load app, as amdgpuapp.MaxBOPages does an amdgpu one.
const maxBOPages = amdgpuapp.MaxBOPages

// amdgpuLoad drives load apps on amdgpu GPUs.
type amdgpuLoad struct {
	gpus []*amdgpu.GPU // by topology index
	apps map[*workloads.Instance]*amdgpuApp
}

var _ workloads.AppLifecycle = (*amdgpuLoad)(nil)

// amdgpuApp is one app process: its address space and its file on the current incarnation.
type amdgpuApp struct {
	mm   *mm.MM // made by the first Open (with the policy's SIGBUS promise), then reused
	c    *amdgpu.Client
	vmas []*mm.VMA
}

func (t *amdgpuLoad) AppOpen(_ *des.Proc, in *workloads.Instance) bool {
	t.apps[in] = &amdgpuApp{}
	return true
}

func (t *amdgpuLoad) AppClose(p *des.Proc, in *workloads.Instance) {
	a := t.apps[in]
	if a.c != nil {
		a.c.Close(p)
	}
	if a.mm != nil && !a.mm.Dead() {
		a.mm.Exit(p)
	}
}

// AppOp runs one operation; false ends the app (its process was killed).
func (t *amdgpuLoad) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	a := t.apps[in]
	if a.mm != nil && a.mm.Dead() {
		return false
	}
	if a.c == nil && !a.open(p, t.gpus[in.Dev], in) {
		return true // no bound driver now: skip
	}
	var err error
	switch in.Spec.Kind {
	case workloads.AppRender:
		err = amdgpuapp.Render(p, a.c, a.vmas, op)
	case workloads.AppCompute:
		err = amdgpuapp.Compute(p, a.c)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, mm.ErrSIGBUS) || a.mm.Dead():
		return false
	default: // -ENODEV: this incarnation is gone; reopen later
		a.c.Close(p)
		a.c, a.vmas = nil, nil
		return true
	}
}

// open opens the GPU's current incarnation and, for a render app, makes and maps its BOs.
func (a *amdgpuApp) open(p *des.Proc, g *amdgpu.GPU, in *workloads.Instance) bool {
	if !g.Bound() {
		return false
	}
	c, err := g.Open(p, in.Name, a.mm)
	if err != nil {
		return false
	}
	a.c, a.mm = c, c.MM
	if in.Spec.Kind != workloads.AppRender {
		return true
	}
	for _, bs := range bospec.Of(in.Spec, maxBOPages) {
		b, err := c.CreateBO(p, "bo", bs.Pages, bs.Place)
		if err != nil {
			return true // the first op finds the device gone
		}
		v, err := c.Mmap(p, b)
		if err != nil {
			return true
		}
		a.vmas = append(a.vmas, v)
	}
	return true
}

// xeLoad drives load apps on xe devices.
type xeLoad struct {
	devs []*xe.Driver // by topology index
	apps map[*workloads.Instance]*xeApp
}

var _ workloads.AppLifecycle = (*xeLoad)(nil)

// xeApp is one app process's file on the current instance, its BOs and userptr.
type xeApp struct {
	c       *xe.Client
	bos     []*xe.BO
	compute xeapp.Compute
}

func (t *xeLoad) AppOpen(_ *des.Proc, in *workloads.Instance) bool {
	t.apps[in] = &xeApp{}
	return true
}

func (t *xeLoad) AppClose(p *des.Proc, in *workloads.Instance) { t.apps[in].drop(p) }

// drop closes the app's file, if open.
func (a *xeApp) drop(p *des.Proc) {
	if a.c != nil && !a.c.Closed() {
		_ = a.c.Close(p)
	}
	a.c, a.bos, a.compute = nil, nil, xeapp.Compute{}
}

// AppOp runs one operation. Any error means the instance went away under the app: it
// closes its file and reopens at a later operation.
func (t *xeLoad) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	a := t.apps[in]
	if a.c == nil {
		c, err := t.devs[in.Dev].Open(p, in.Name)
		if err != nil {
			return true // no bound driver now: skip
		}
		a.c = c
	}
	var err error
	switch in.Spec.Kind {
	case workloads.AppRender:
		err = a.render(p, in, op)
	case workloads.AppCompute:
		err = a.compute.Op(p, a.c, op)
	}
	if err != nil {
		a.drop(p)
	}
	return true
}

// render: make the BOs, then CPU touches and jobs.
func (a *xeApp) render(p *des.Proc, in *workloads.Instance, op int) error {
	if a.bos == nil {
		for _, bs := range bospec.Of(in.Spec, maxBOPages) {
			b, err := a.c.CreateBO(p, bs.Pages, bs.Place)
			if err != nil {
				return err
			}
			a.bos = append(a.bos, b)
		}
		return nil
	}
	if op%2 == 0 {
		return a.c.Touch(p, a.bos[(op/2)%len(a.bos)], op/2)
	}
	return a.c.ExecWait(p, nil)
}

// Platform is never called: the scenarios take no platform events (the subtest's steps are
// the platform events).
func (t *amdgpuLoad) Platform(*des.Proc, workloads.Event) {}

// Platform: see amdgpuLoad.Platform.
func (t *xeLoad) Platform(*des.Proc, workloads.Event) {}
