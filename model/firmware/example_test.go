package firmware_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/firmware"
)

// A probe loads its microcode with request_firmware, copies it and releases it; a second
// driver's patch file is missing, so its load fails with -ENOENT as a missing file does.
func Example() {
	sim := des.MustNew(des.Config{})
	firmware.AddFile(sim, firmware.File{Name: "amdgpu/gc_9_0_me.bin", Size: 16 << 10, Latency: 2 * des.Millisecond})
	firmware.RemoveFile(sim, "hda/patch.fw")
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		fw, err := firmware.RequestFirmware(p, "amdgpu/gc_9_0_me.bin")
		fmt.Println(err, fw.Size(p), "bytes at", p.Now())
		fw.Read(p, "amdgpu_ucode_init_bo")
		firmware.ReleaseFirmware(p, fw)
		_, err = firmware.RequestFirmware(p, "hda/patch.fw")
		fmt.Println(err)
	})
	r := sim.Run()
	fmt.Println(r.OK())
	// Output:
	// <nil> 16384 bytes at @2ms
	// -ENOENT
	// true
}
