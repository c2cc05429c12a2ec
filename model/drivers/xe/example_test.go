package xe_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/ttm"
)

// An app holds a system-memory BO across a sysfs remove and closes its file afterwards.
// With the seed patch alone (devm-migrate) the late close unmaps the BO through the released
// IOMMU group; with clear-mappings the remove path already did, and the device is healthy
// again after a rescan.
func Example() {
	for _, pol := range []string{xe.DevmMigrate, xe.ClearMappings} {
		sim := des.MustNew(des.Config{Seed: 1})
		pl, err := xe.NewPlatform(sim, xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "xe0", Policy: pol}}})
		if err != nil {
			panic(err)
		}
		gpu := pl.Device("xe0")
		sim.Spawn("igt", des.Task, func(p *des.Proc) {
			_ = pl.ProbeAll(p)
			app, _ := gpu.Open(p, "app")
			_, _ = app.CreateBO(p, 1, ttm.PlTT)
			gpu.Remove(p)
			_ = app.Close(p)
			_ = pl.Rescan(p)
			fmt.Printf("%s: health check after rescan: %v\n", pol, gpu.HealthCheck(p, "igt"))
		})
		r := sim.Run()
		if v := r.First(); v != nil {
			fmt.Printf("%s: %s in %s\n", pol, v.Kind, v.Proc)
		}
	}
	// Output:
	// devm-migrate: use-after-free in igt
	// clear-mappings: health check after rescan: <nil>
}
