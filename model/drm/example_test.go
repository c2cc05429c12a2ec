package drm_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drm"
)

// The amdgpu v6 shape: ioctls run under drm_dev_enter, so once drm_dev_unplug returns none
// is running and new ones fail with -ENODEV; the drm_device outlives the PCI device until
// the app closes its file.
func Example() {
	sim := des.MustNew(des.Config{})
	drv := &drm.Driver{
		IoctlsFailAfterUnplug: true,
		Ioctls: []drm.IoctlDesc{{Name: "CS", Flags: drm.IoctlDevEnter, Func: func(p *des.Proc, f *drm.File, arg any) error {
			p.Sleep(5 * des.Microsecond)
			return nil
		}}},
	}
	d := drm.DevAlloc(sim, nil, "card0", drv)
	_ = d.DrmmAddAction(nil, "free_dummy_page", func(*des.Proc) { fmt.Println("drmm: free_dummy_page") })
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		d.DevRegister(p)
		f, _ := d.Open(p, "app")
		fmt.Println("cs:", f.Ioctl(p, 0, nil))
		fmt.Println("cs:", f.Ioctl(p, 0, nil))
		p.Sleep(des.Millisecond)
		_ = f.Close(p)
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		d.DevUnplug(p)
		fmt.Println("unplugged at", p.Now())
		d.DevPut(p) // the driver's reference (devm at unbind)
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations), "freed:", d.Freed())
	// Output:
	// cs: <nil>
	// unplugged at @5us
	// cs: -ENODEV
	// drmm: free_dummy_page
	// violations: 0 freed: true
}
