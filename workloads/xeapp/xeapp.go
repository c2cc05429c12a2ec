// Package xeapp is what an operation of a workload app does on a model/drivers/xe client:
// the app bodies every scenario on xe shares (xeunplug's apps, igt's background load), so
// that a compute app means the same thing in each.
package xeapp

import (
	"hotplugsim/des"
	"hotplugsim/model/drivers/xe"
)

// Compute is a compute app's state: its userptr (nil before the first operation, or after
// the file it was made on went away).
type Compute struct {
	Userptr *xe.Userptr
}

// Op is operation op of the compute app on c: a userptr (rebound now and then) and jobs.
func (a *Compute) Op(p *des.Proc, c *xe.Client, op int) error {
	if a.Userptr == nil || op%3 == 2 {
		if a.Userptr != nil {
			c.DestroyUserptr(p, a.Userptr)
			a.Userptr = nil
		}
		up, err := c.CreateUserptr(p, 2)
		a.Userptr = up
		return err
	}
	return c.ExecWait(p, nil)
}
