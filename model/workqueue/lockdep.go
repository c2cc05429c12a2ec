package workqueue

import (
	"hotplugsim/des"
	"hotplugsim/model/lock"
)

// depMap is the lockdep map (struct lockdep_map) the package annotates waits with.
type depMap interface {
	Acquire(p *des.Proc)
	AcquireRead(p *des.Proc)
	Release(p *des.Proc)
}

func newDepMap(sim *des.Sim, name string) depMap { return lock.NewMap(sim, name) }
