// Package amdgpuapp is what one operation of a workload app does on a model/drivers/amdgpu
// client: the app bodies every scenario on amdgpu shares (amdgpuunplug's apps, igt's
// background load), so that a render or compute app means the same thing in each.
package amdgpuapp

import (
	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/mm"
)

// Job lengths and the BO size cap of the apps.
const (
	RenderJob  = 3 * des.Microsecond
	ComputeJob = 10 * des.Microsecond
	MaxBOPages = 4 // a Spec BO is capped at this many pages (bospec.Of)
)

// Render is operation op of a render app whose file is c and whose mapped BOs are vmas: touch
// a mapped BO (or read the GPU clock if it has none), submit, read the GPU clock, wait for the
// last job.
func Render(p *des.Proc, c *amdgpu.Client, vmas []*mm.VMA, op int) error {
	switch op % 4 {
	case 0:
		if len(vmas) == 0 {
			return c.Info(p)
		}
		return c.Touch(p, vmas[(op/4)%len(vmas)], op/4)
	case 1:
		_, err := c.Submit(p, RenderJob)
		return err
	case 2:
		return c.Info(p)
	default:
		return c.Wait(p, c.Last())
	}
}

// Compute is an operation of a compute app: submit a long job and wait for it.
func Compute(p *des.Proc, c *amdgpu.Client) error {
	f, err := c.Submit(p, ComputeJob)
	if err != nil {
		return err
	}
	return c.Wait(p, f)
}
