package drm_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/mm"
)

// Apps issue ioctls protected by drm_dev_enter while the device is unplugged, under many
// explored schedules: once drm_dev_unplug returned no handler runs, later ioctls get
// -ENODEV, and the drm_device is freed only after the last file closes.
func TestUnplugFencesIoctlsUnderExploredSchedules(t *testing.T) {
	for _, strategy := range []string{"random:3us", "pct:3:2000"} {
		for seed := uint64(0); seed < 60; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy, NoTape: true})
			d := drm.DevAlloc(sim, nil, "card0", ioctlDriver(drm.IoctlDevEnter))
			d.DevRegister(nil)
			var unplugged bool
			for i := 0; i < 3; i++ {
				app := mm.NewMM(sim, fmt.Sprintf("app%d", i), mm.Options{})
				sim.Spawn(app.Name(), des.Task, func(p *des.Proc) {
					f, err := d.Open(p, app.Name())
					if err != nil {
						return
					}
					f.CloseOnExit(app)
					for k := 0; k < 4; k++ {
						err := f.Ioctl(p, 0, nil)
						if unplugged {
							assert.True(t, errors.Is(err, drm.ErrNoDev))
						}
					}
					app.Exit(p)
				})
			}
			sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
				p.Sleep(15 * des.Microsecond)
				d.DevUnplug(p)
				unplugged = true
				d.DevPut(p)
			})
			r := sim.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strategy, seed, r.Violations)
			require.True(t, d.Freed())
		}
	}
}
