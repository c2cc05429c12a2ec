package xe

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/iommu"
	"hotplugsim/model/pci"
)

// This file is the driver-level API the IGT core_hotunplug workloads drive: a machine with
// xe devices behind an IOMMU, and per device bind / unbind / remove / surprise removal /
// rescan / replug, opening a client and the health check (open, submit a no-op job, wait for
// its fence). Every operation runs in the calling process and may block.

// DeviceConfig is one xe device of a Platform.
type DeviceConfig struct {
	Name   string // drm name, e.g. "xe0"
	Policy string // a policy name; "" is DefaultPolicy
	// Options, if set, replace the policy's switches (a test taking one step of a fix out).
	Options *Options
}

// PlatformConfig describes a Platform.
type PlatformConfig struct {
	Devices []DeviceConfig
	// JobTime is how long a job runs on a ring (0: DefaultJobTime).
	JobTime des.Duration
}

// MaxPlatformDevices bounds the xe devices of one Platform.
const MaxPlatformDevices = 16

// Platform is a PCI host whose root bus holds the xe devices, with an IOMMU in front of
// them (every device has its own group).
type Platform struct {
	sim  *des.Sim
	host *pci.Host
	mmu  *iommu.IOMMU
	devs []*Driver
}

// NewPlatform validates cfg and builds the machine: the host bridge, the devices (booted:
// BARs assigned, IOMMU groups allocated), drivers not yet bound (call ProbeAll).
func NewPlatform(sim *des.Sim, cfg PlatformConfig) (*Platform, error) {
	if len(cfg.Devices) == 0 || len(cfg.Devices) > MaxPlatformDevices {
		return nil, fmt.Errorf("xe: %d devices (want 1..%d)", len(cfg.Devices), MaxPlatformDevices)
	}
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0x40_0000_0000, Size: 1 << 30})
	if err != nil {
		return nil, err
	}
	pl := &Platform{sim: sim, host: host}
	seen := map[string]bool{}
	for i, dc := range cfg.Devices {
		pol, err := ParsePolicy(dc.Policy)
		if err != nil {
			return nil, err
		}
		if dc.Name == "" || seen[dc.Name] {
			return nil, fmt.Errorf("xe: device %d: empty or duplicate name %q", i, dc.Name)
		}
		seen[dc.Name] = true
		opts := pol.Options
		if dc.Options != nil {
			opts = *dc.Options
		}
		drv := NewDriver(sim, dc.Name, opts, cfg.JobTime)
		pdev, err := host.AddDevice(host.Root(), fmt.Sprintf("0000:%02x:00.0", 3+i), drv.PCIDriver(), BARSpecs()...)
		if err != nil {
			return nil, err
		}
		drv.Attach(host, pdev)
		pl.devs = append(pl.devs, drv)
	}
	if err := host.Boot(); err != nil {
		return nil, err
	}
	if pl.mmu, err = iommu.Attach(host); err != nil {
		return nil, err
	}
	return pl, nil
}

// Host is the PCI host.
func (pl *Platform) Host() *pci.Host { return pl.host }

// IOMMU is the IOMMU in front of the devices.
func (pl *Platform) IOMMU() *iommu.IOMMU { return pl.mmu }

// Devices returns the drivers in configuration order.
func (pl *Platform) Devices() []*Driver { return append([]*Driver(nil), pl.devs...) }

// Device returns the driver of the device named name, or nil.
func (pl *Platform) Device(name string) *Driver {
	for _, d := range pl.devs {
		if d.name == name {
			return d
		}
	}
	return nil
}

// ProbeAll binds every device (the boot-time driver probe).
func (pl *Platform) ProbeAll(p *des.Proc) error { return pl.host.ProbeAll(p) }

// Rescan is echo 1 > /sys/bus/pci/rescan: a device removed through sysfs is still in its slot,
// so the rescan finds it again (model/pci calls that a replug) and probes it; devices present
// and unbound are probed too.
func (pl *Platform) Rescan(p *des.Proc) error {
	var first error
	for _, d := range pl.devs {
		if d.pdev.Removed() {
			if err := pl.host.Replug(p, d.pdev); err != nil && first == nil {
				first = err
			}
		}
	}
	if err := pl.host.Rescan(p); err != nil && first == nil {
		first = err
	}
	return first
}

// Bound reports whether the driver is bound to the device.
func (d *Driver) Bound() bool { return d.pdev.Bound() }

// Bind is echo <bdf> > /sys/bus/pci/drivers/xe/bind.
func (d *Driver) Bind(p *des.Proc) error { return d.host.Bind(p, d.pdev) }

// Unbind is echo <bdf> > /sys/bus/pci/drivers/xe/unbind: .remove and the devm actions; the
// device stays, and so does its IOMMU group.
func (d *Driver) Unbind(p *des.Proc) { d.host.Unbind(p, d.pdev) }

// Remove is echo 1 > /sys/bus/pci/devices/<bdf>/remove: unbind, then the device leaves the
// tree and its IOMMU group is released.
func (d *Driver) Remove(p *des.Proc) { d.host.Remove(p, d.pdev) }

// SurpriseRemove is the device falling off the bus (pciehp): the hardware is gone, then the
// remove sequence runs.
func (d *Driver) SurpriseRemove(p *des.Proc) { d.host.SurpriseRemove(p, d.pdev) }

// Replug brings a removed device back (presence detect), which rescans and probes it.
func (d *Driver) Replug(p *des.Proc) error { return d.host.Replug(p, d.pdev) }

// SubmitNoop submits a no-op job and returns its fence, a reference the caller puts (Exec).
func (c *Client) SubmitNoop(p *des.Proc) (*fence.Fence, error) { return c.Exec(p, nil) }

// ErrUnhealthy is what HealthCheck returns when the no-op job's fence did not signal in time
// or signalled with an error.
var ErrUnhealthy = errors.New("xe: health check failed")

// HealthTimeout bounds the health check's fence wait.
const HealthTimeout = des.Millisecond

// HealthCheck is IGT core_hotunplug's healthcheck: open the device, submit a no-op job, wait
// for its fence (at most HealthTimeout), close. It fails with ErrNoDev when the driver is not
// bound and ErrUnhealthy when the job does not complete cleanly.
func (d *Driver) HealthCheck(p *des.Proc, who string) error {
	c, err := d.Open(p, who)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(p) }()
	f, err := c.SubmitNoop(p)
	if err != nil {
		return err
	}
	defer f.Put(p)
	spWait.Begin(p, f.Label(), 0, 0)
	ok := f.WaitTimeout(p, HealthTimeout)
	spWait.End(p, f.Label(), int64(f.Status()), 0)
	if !ok || f.Status() < 0 {
		return fmt.Errorf("%w: %s fence status %d", ErrUnhealthy, d.name, f.Status())
	}
	return nil
}
