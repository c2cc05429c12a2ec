package drm_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

var errStep = errors.New("-EIO")

// stepDrv's probe does five steps and fails at step failAt (0: never): devm, devm drm
// device (with two drmm actions of its own), devm, drmm, devm. really_probe then unwinds
// the devm actions newest first; the devm drm_dev_put is the last reference, so the drm
// device's release and its drmm actions run at that point of the unwinding, newest first.
type stepDrv struct {
	failAt int
	log    []string
	ddev   *drm.Device
	// bugs
	putInErrorPath bool // the error path drops the drm device itself, and devm drops it again
	devmBeforeDrm  bool // a devm action that uses the drm device is registered before it exists
}

func (s *stepDrv) Name() string { return "steps" }

func (s *stepDrv) undo(what string) func(*des.Proc) {
	return func(*des.Proc) { s.log = append(s.log, what) }
}

func (s *stepDrv) Probe(p *des.Proc, d *pci.Dev) error {
	steps := []func() error{
		func() error { return d.Devm().AddActionOrReset(p, "pcim_disable", s.undo("devm pcim_disable")) },
		func() error { return s.allocDrm(p, d) },
		func() error { return d.Devm().AddActionOrReset(p, "free_irq", s.undo("devm free_irq")) },
		func() error { return s.ddev.DrmmAddActionOrReset(p, "vram_fini", s.undo("drmm vram_fini")) },
		func() error { return d.Devm().AddActionOrReset(p, "fence_fini", s.undo("devm fence_fini")) },
	}
	for i, step := range steps {
		if i+1 == s.failAt {
			return s.fail(p)
		}
		if err := step(); err != nil {
			return err
		}
	}
	if s.failAt == len(steps)+1 { // a last check after everything is set up
		return s.fail(p)
	}
	return nil
}

func (s *stepDrv) allocDrm(p *des.Proc, d *pci.Dev) error {
	if s.devmBeforeDrm {
		_ = d.Devm().AddAction("unregister", func(p *des.Proc) { s.ddev.DevUnregister(p) })
	}
	ddev, err := drm.DevmDrmDevAlloc(p.Sim(), p, d.Devm(), "card0", &drm.Driver{Release: func(*des.Proc, *drm.Device) {
		s.log = append(s.log, "drm_dev_release")
	}})
	if err != nil {
		return err
	}
	s.ddev = ddev
	_ = ddev.DrmmAddAction(p, "mode_config_cleanup", s.undo("drmm mode_config_cleanup"))
	_ = ddev.DrmmAddAction(p, "gem_fini", s.undo("drmm gem_fini"))
	ddev.DevRegister(p)
	return nil
}

func (s *stepDrv) fail(p *des.Proc) error {
	if s.putInErrorPath && s.ddev != nil {
		s.ddev.DevPut(p)
	}
	return errStep
}

func (s *stepDrv) Remove(p *des.Proc, d *pci.Dev) { s.log = append(s.log, ".remove") }

func probeOnce(t *testing.T, drv *stepDrv) (des.Result, *pci.Dev) {
	t.Helper()
	sim := des.MustNew(des.Config{})
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	dev, err := host.AddDevice(host.Root(), "0000:03:00.0", drv, pci.BARSpec{Index: 0, Size: 16 << 20})
	require.NoError(t, err)
	require.NoError(t, host.Boot())
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		err := host.ProbeAll(p)
		if drv.failAt > 0 {
			assert.ErrorIs(t, err, errStep)
		}
	})
	return sim.Run(), dev
}

// really_probe after a failed .probe: devres_release_all undoes what the probe did, newest
// first; the drm device's drmm actions run at its final put, in that same reverse order.
func TestFailedProbeUnwindsDevmAndDrmmInReverse(t *testing.T) {
	all := []string{"devm fence_fini", "devm free_irq", "drm_dev_release", "drmm vram_fini",
		"drmm gem_fini", "drmm mode_config_cleanup", "devm pcim_disable"}
	want := map[int][]string{
		1: nil,
		2: {"devm pcim_disable"},
		3: {"drm_dev_release", "drmm gem_fini", "drmm mode_config_cleanup", "devm pcim_disable"},
		4: {"devm free_irq", "drm_dev_release", "drmm gem_fini", "drmm mode_config_cleanup", "devm pcim_disable"},
		5: all[1:],
		6: all,
	}
	for failAt := 1; failAt <= 6; failAt++ {
		t.Run(fmt.Sprint("fail at step ", failAt), func(t *testing.T) {
			drv := &stepDrv{failAt: failAt}
			r, dev := probeOnce(t, drv)
			require.True(t, r.OK(), r.Violations)
			assert.False(t, dev.Bound())
			assert.Zero(t, dev.Devm().Len())
			assert.Equal(t, want[failAt], drv.log)
			if drv.ddev != nil {
				assert.True(t, drv.ddev.Freed(), "the devm drm_dev_put was the last reference")
			}
		})
	}
}

func TestProbeThatSucceedsUnwindsAtUnbind(t *testing.T) {
	drv := &stepDrv{}
	r, dev := probeOnce(t, drv)
	require.True(t, r.OK(), r.Violations)
	assert.True(t, dev.Bound())
	assert.Empty(t, drv.log, "nothing unwinds until unbind")
}

// An error path that drops what devm will drop again: the second drm_dev_put is on a freed
// device.
func TestErrorPathPuttingADevmDrmDeviceIsUseAfterFree(t *testing.T) {
	r, _ := probeOnce(t, &stepDrv{failAt: 3, putInErrorPath: true})
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
	assert.Contains(t, r.First().Msg, "drm_dev_put")
}

// A devm action registered before the drm device runs after the devm drm_dev_put freed it.
func TestDevmActionOlderThanTheDrmDeviceIsUseAfterFree(t *testing.T) {
	r, _ := probeOnce(t, &stepDrv{failAt: 3, devmBeforeDrm: true})
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
	assert.Contains(t, r.First().Msg, "drm_dev_unregister")
}
