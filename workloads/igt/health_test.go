package igt

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
)

// platforms builds one booted device of each driver on sim and returns them, unprobed.
func platforms(t *testing.T, sim *des.Sim) (amdgpuDev, xeDev) {
	t.Helper()
	apl, err := amdgpu.NewPlatform(sim)
	require.NoError(t, err)
	g, err := apl.AddGPU("card0", amdgpu.V6CompleteFirst)
	require.NoError(t, err)
	require.NoError(t, apl.Boot())
	xpl, err := xe.NewPlatform(sim, xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "card1"}}})
	require.NoError(t, err)
	return amdgpuDev{g}, xeDev{xpl, xpl.Devices()[0]}
}

// The health check passes on a bound device and fails while the driver is unbound or the
// device removed (the reopen gets -ENODEV), on both drivers; it passes again once the device
// is back.
func TestHealthCheckFailsWhileGone(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ad, xd := platforms(t, sim)
	sim.Spawn("igt", des.Task, func(p *des.Proc) {
		for _, d := range []device{ad, xd} {
			require.NoError(t, d.bind(p))
			require.NoError(t, healthCheck(p, d, "hc"))
			d.unbind(p)
			err := healthCheck(p, d, "hc")
			assert.ErrorIs(t, err, ErrUnhealthy, d.name())
			assert.True(t, isNoDev(err), "%s: %v", d.name(), err)
			assert.Contains(t, err.Error(), "reopen")
			require.NoError(t, d.bind(p))
			require.NoError(t, healthCheck(p, d, "hc"))
			d.remove(p)
			assert.ErrorIs(t, healthCheck(p, d, "hc"), ErrUnhealthy, d.name())
			require.NoError(t, d.rescan(p))
			require.NoError(t, healthCheck(p, d, "hc"), d.name())
		}
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.Violations)
}

// A no-op job that hangs on amdgpu: the TDR ends it with an error, so the check fails.
func TestHealthCheckFailsOnHungJob(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ad, _ := platforms(t, sim)
	sim.Spawn("igt", des.Task, func(p *des.Proc) {
		require.NoError(t, ad.bind(p))
		ad.g.HangNextJob()
		err := healthCheck(p, ad, "hc")
		require.ErrorIs(t, err, ErrUnhealthy)
		assert.Contains(t, err.Error(), "no-op job fence status -")
		require.NoError(t, healthCheck(p, ad, "hc"), "recovered")
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.Violations)
}

// Fence outcomes of a fake device's no-op jobs.
const (
	jobOK = iota
	jobNever
	jobError
)

// fakeDev is a device under the test's control: whether it comes back after unbind or
// remove, whether bound() tells the truth, and how its no-op jobs end (before and after it
// came back).
type fakeDev struct {
	sim            *des.Sim
	comesBack      bool
	honest         bool // bound() reports the truth; else it says bound once bind returned
	jobs, jobsBack int  // job outcome before and after the device came back
	gone, back     bool
	claimed        bool // bind or rescan returned success
}

var errFakeNoDev = errors.New("fake: -ENODEV")

func (d *fakeDev) name() string     { return "fake0" }
func (d *fakeDev) bound() bool      { return !d.gone || d.claimed && !d.honest }
func (d *fakeDev) unbind(*des.Proc) { d.gone = true }
func (d *fakeDev) remove(*des.Proc) { d.gone = true }
func (d *fakeDev) bind(*des.Proc) error {
	d.claimed = true
	if d.comesBack {
		d.gone, d.back = false, true
	}
	return nil
}
func (d *fakeDev) rescan(p *des.Proc) error { return d.bind(p) }
func (d *fakeDev) open(*des.Proc, string) (client, error) {
	if d.gone {
		return nil, errFakeNoDev
	}
	return fakeClient{d}, nil
}

type fakeClient struct{ d *fakeDev }

func (c fakeClient) submitNoop(p *des.Proc) (*fence.Fence, error) {
	f := fence.NewContext(c.d.sim, "fake").NewFence(p)
	outcome := c.d.jobs
	if c.d.back {
		outcome = c.d.jobsBack
	}
	switch outcome {
	case jobOK:
		_ = f.Signal(p)
	case jobError:
		f.SetError(p, -fence.ENODEV)
		_ = f.Signal(p)
	}
	return f, nil
}
func (c fakeClient) putFence(p *des.Proc, f *fence.Fence) { f.Put(p) }
func (c fakeClient) close(*des.Proc)                      {}
func (c fakeClient) closed() bool                         { return false }

// A no-op job whose fence never signals, or signals with an error, fails the health check.
func TestHealthCheckFailsOnFence(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("igt", des.Task, func(p *des.Proc) {
		require.NoError(t, healthCheck(p, &fakeDev{sim: sim}, "hc"))
		err := healthCheck(p, &fakeDev{sim: sim, jobs: jobNever}, "hc")
		require.ErrorIs(t, err, ErrUnhealthy)
		assert.Contains(t, err.Error(), "not signalled within")
		err = healthCheck(p, &fakeDev{sim: sim, jobs: jobError}, "hc")
		require.ErrorIs(t, err, ErrUnhealthy)
		assert.Contains(t, err.Error(), "status -19")
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.Violations)
}

// runFake runs a subtest on a fake device and returns the run's violations.
func runFake(st Subtest, d *fakeDev) []des.Violation {
	r := &runner{st: st, dev: d, obj: des.L(d.name())}
	d.sim.Spawn("igt", des.Task, r.run)
	return d.sim.Run().Violations
}

// violation runs st on d and returns its one violation, which must be Progress from igt.
func violation(t *testing.T, st Subtest, d *fakeDev) string {
	t.Helper()
	vs := runFake(st, d)
	require.Len(t, vs, 1, st.Name)
	assert.Equal(t, oracle.Progress, vs[0].Kind, st.Name)
	assert.Equal(t, "igt", vs[0].Proc, st.Name)
	return vs[0].Msg
}

// A device that comes back healthy passes every subtest.
func TestFakeDevicePasses(t *testing.T) {
	for _, st := range Subtests {
		d := &fakeDev{sim: des.MustNew(des.Config{}), comesBack: true, honest: true}
		assert.Empty(t, runFake(st, d), st.Name)
	}
}

// A device that never comes back (bind and rescan return success, the driver claims to be
// bound, but nothing reopens): every subtest's health check fails with Progress.
func TestNeverComesBack(t *testing.T) {
	for _, st := range Subtests {
		msg := violation(t, st, &fakeDev{sim: des.MustNew(des.Config{})})
		assert.Contains(t, msg, "igt "+st.Name+": healthcheck: GPU healthcheck failure: fake0 reopen: fake: -ENODEV")
	}
}

// A device that comes back but whose jobs never complete, or complete with an error.
func TestComesBackUnhealthy(t *testing.T) {
	for _, st := range Subtests {
		msg := violation(t, st, &fakeDev{sim: des.MustNew(des.Config{}), comesBack: true, jobsBack: jobNever})
		assert.Contains(t, msg, "healthcheck: GPU healthcheck failure: fake0 no-op job fence not signalled within 1ms")
		msg = violation(t, st, &fakeDev{sim: des.MustNew(des.Config{}), comesBack: true, jobsBack: jobError})
		assert.Contains(t, msg, "healthcheck: GPU healthcheck failure: fake0 no-op job fence status -19")
	}
}

// The pre-check catches a device that is broken from the start; IGT's bound checks catch a
// bind or rescan that leaves the device unbound.
func TestPreCheckAndBoundChecks(t *testing.T) {
	msg := violation(t, Subtests[0], &fakeDev{sim: des.MustNew(des.Config{}), jobs: jobNever})
	assert.Contains(t, msg, "igt unbind-rebind: pre-check: GPU healthcheck failure")
	for _, st := range Subtests {
		msg := violation(t, st, &fakeDev{sim: des.MustNew(des.Config{}), honest: true})
		assert.Contains(t, msg, "igt "+st.Name+": rebound device not present (fake0)")
	}
}

// noRebind wraps a real device whose rebind and rescan "succeed" without bringing it back.
type noRebind struct {
	device
	claimed bool
}

func (d *noRebind) bind(*des.Proc) error   { d.claimed = true; return nil }
func (d *noRebind) rescan(*des.Proc) error { d.claimed = true; return nil }
func (d *noRebind) bound() bool            { return d.claimed || d.device.bound() }

// On the real drivers too, a device that does not come back fails the health check with
// Progress (the reopen gets -ENODEV), and nothing else fires first.
func TestRealDeviceNeverComesBack(t *testing.T) {
	for _, st := range Subtests {
		for i := range 2 {
			sim := des.MustNew(des.Config{Seed: 1, Strategy: "random:2us"})
			ad, xd := platforms(t, sim)
			devs := []device{ad, xd}
			r := &runner{st: st, dev: &noRebind{device: devs[i]}, obj: des.L(devs[i].name())}
			sim.Spawn("igt", des.Task, func(p *des.Proc) {
				require.NoError(t, devs[i].bind(p))
				r.run(p)
			})
			vs := sim.Run().Violations
			require.Len(t, vs, 1, "%s on %s", st.Name, devs[i].name())
			assert.Equal(t, oracle.Progress, vs[0].Kind)
			assert.Contains(t, vs[0].Msg, "igt "+st.Name+": healthcheck: GPU healthcheck failure: "+devs[i].name()+" reopen")
		}
	}
}

// isNoDev reports whether err is -ENODEV from either driver.
func isNoDev(err error) bool {
	return errors.Is(err, drm.ErrNoDev) || errors.Is(err, amdgpu.ErrNoGPU)
}
