package pci_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/pci"
)

func TestAddActionOrResetRunsTheActionWhenItCannotRegister(t *testing.T) {
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	d, err := h.AddDevice(h.Root(), "0000:05:00.0", nil, bar(0, 16*kib))
	require.NoError(t, err)
	ran := 0
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		for i := 0; i < pci.MaxDevm; i++ {
			require.NoError(t, d.Devm().AddActionOrReset(p, "a", func(*des.Proc) { ran++ }))
		}
		assert.Zero(t, ran, "registered actions wait for unbind")
		assert.Error(t, d.Devm().AddActionOrReset(p, "b", func(*des.Proc) { ran++ }))
		assert.Equal(t, 1, ran, "the one that could not register ran at once")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// stepper's probe registers one devm action per step and fails at step failAt.
type stepper struct {
	failAt int
	undone []string
}

func (s *stepper) Name() string { return "stepper" }
func (s *stepper) Probe(p *des.Proc, d *pci.Dev) error {
	for i := 1; i <= 3; i++ {
		if i == s.failAt {
			return errors.New("-ENOMEM")
		}
		name := fmt.Sprint("step", i)
		_ = d.Devm().AddActionOrReset(p, name, func(*des.Proc) { s.undone = append(s.undone, name) })
	}
	return nil
}
func (s *stepper) Remove(*des.Proc, *pci.Dev) {}

// A probe that fails at step 3 is unwound by really_probe as if it had been unbound: the
// devm actions of steps 2 and 1, newest first; the device can be probed again.
func Example_failedProbe() {
	sim := des.MustNew(des.Config{})
	host, _ := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	drv := &stepper{failAt: 3}
	dev, _ := host.AddDevice(host.Root(), "0000:05:00.0", drv, pci.BARSpec{Index: 0, Size: 16 << 10})
	_ = host.Boot()
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		fmt.Println(host.ProbeAll(p))
		fmt.Println("undone:", drv.undone, "bound:", dev.Bound(), "devm left:", dev.Devm().Len())
		drv.failAt = 0
		fmt.Println("rebind:", host.Bind(p, dev), dev.Bound())
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations))
	// Output:
	// pci: stepper: probe of 0000:05:00.0 failed: -ENOMEM
	// undone: [step2 step1] bound: false devm left: 0
	// rebind: <nil> true
	// violations: 0
}
