package drm

import (
	"hotplugsim/des"
	"hotplugsim/model/lock"
)

var srcuKey = des.NewSimKey[lock.SRCU]()

// UnplugSRCU is the simulation's one drm_unplug_srcu, shared by every drm device (a
// model/lock SRCU, so lockdep sees its read sections and synchronize_srcu).
func UnplugSRCU(sim *des.Sim) *lock.SRCU {
	return srcuKey.Get(sim, func(sim *des.Sim) *lock.SRCU { return lock.NewSRCU(sim, "drm_unplug_srcu") })
}
