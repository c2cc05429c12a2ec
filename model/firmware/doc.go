// Package firmware models the firmware loader a driver's probe calls: request_firmware and
// firmware_request_nowarn (a load that sleeps and can fail), release_firmware, and
// request_firmware_nowait (the load run later by a work item on the system workqueue, which
// calls the driver's callback with the firmware or nil).
//
// A load sleeps: calling one in atomic context (under a spinlock, in an interrupt) is
// might_sleep's "sleeping function called from invalid context", a lock-order violation as
// model/lock and model/mm report it. A load fails with ErrNoEnt when the file is missing:
// a file is found unless the simulation says it is not (RemoveFile), and with des.Config.Faults
// the loader's fault sites (SiteRequest, SiteRequestNowarn, SiteRequestNowait, named after the
// kernel functions) fail some loads as a missing file does. A loaded Firmware is a KASAN
// object: Read after ReleaseFirmware, or a second ReleaseFirmware, is a use-after-free.
//
// RequestNowait holds a reference on the device (get_device) until the callback returned,
// as request_firmware_work_func does; the reference keeps the struct device, not the
// driver's data. A driver whose remove frees its data while a load is pending gets the
// callback on freed memory (use-after-free where the callback touches it); drivers wait for
// the callback in remove (a completion the callback completes) before freeing.
//
// Kernel sources read: drivers/base/firmware_loader/main.c (_request_firmware with its
// might_sleep through the filesystem read, request_firmware, firmware_request_nowarn,
// release_firmware, struct firmware_work, request_firmware_work_func with its put_device,
// request_firmware_nowait with get_device and schedule_work), include/linux/firmware.h
// (struct firmware: size, data), Documentation/driver-api/firmware/request_firmware.rst.
//
// Simplified: no firmware cache, built-in firmware, sysfs fallback or uevent; a file is a
// name, a size and a load latency (File), because only whether and when a load ends matters
// to the races; the data is not modelled, Read checks the access.
package firmware
