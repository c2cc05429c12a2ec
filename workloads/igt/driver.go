package igt

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/fence"
)

// This file adapts the two drivers' IGT-level APIs (amdgpu.GPU, xe.Driver) to what the
// subtests need: the sysfs writes, opening the DRM node and the health check's no-op job.

// device is the device under test as the subtests drive it.
type device interface {
	name() string
	bound() bool
	unbind(p *des.Proc)       // echo BDF > /sys/bus/pci/drivers/<drv>/unbind
	bind(p *des.Proc) error   // echo BDF > /sys/bus/pci/drivers/<drv>/bind
	remove(p *des.Proc)       // echo 1 > /sys/bus/pci/devices/BDF/remove
	rescan(p *des.Proc) error // echo 1 > /sys/bus/pci/rescan
	open(p *des.Proc, who string) (client, error)
}

// client is an open DRM file of the device under test.
type client interface {
	submitNoop(p *des.Proc) (*fence.Fence, error)
	// putFence drops the reference submitNoop handed the caller, if it handed one (IGT
	// closes the out-fence's sync_file after its wait).
	putFence(p *des.Proc, f *fence.Fence)
	close(p *des.Proc)
	closed() bool
}

// amdgpuDev is an amdgpu GPU.
type amdgpuDev struct{ g *amdgpu.GPU }

func (d amdgpuDev) name() string           { return d.g.Name() }
func (d amdgpuDev) bound() bool            { return d.g.Bound() }
func (d amdgpuDev) unbind(p *des.Proc)     { d.g.Unbind(p) }
func (d amdgpuDev) bind(p *des.Proc) error { return d.g.Bind(p) }
func (d amdgpuDev) remove(p *des.Proc)     { d.g.Remove(p) }

// rescan: amdgpu.GPU.Rescan is pci_rescan_bus, which in model/pci only adds devices that
// are pending; a device removed through sysfs is stateRemoved and the scan would not find it
// again. The kernel's rescan does find it (the function is still in its slot), which is what
// GPU.Replug models (presence detect, then the rescan that probes it).
func (d amdgpuDev) rescan(p *des.Proc) error {
	if d.g.PCI().Removed() {
		return d.g.Replug(p)
	}
	return d.g.Rescan(p)
}

func (d amdgpuDev) open(p *des.Proc, who string) (client, error) {
	c, err := d.g.Open(p, who, nil)
	if err != nil {
		return nil, err
	}
	return amdgpuClient{c}, nil
}

type amdgpuClient struct{ c *amdgpu.Client }

func (c amdgpuClient) submitNoop(p *des.Proc) (*fence.Fence, error) { return c.c.SubmitNoop(p) }
func (c amdgpuClient) closed() bool                                 { return c.c.Closed() }

// putFence: amdgpu's out-fence is the client's own (Client.Submit), dropped by the client.
func (c amdgpuClient) putFence(*des.Proc, *fence.Fence) {}

func (c amdgpuClient) close(p *des.Proc) { c.c.Close(p) }

// xeDev is an xe device.
type xeDev struct {
	pl *xe.Platform
	d  *xe.Driver
}

func (d xeDev) name() string             { return d.d.Name() }
func (d xeDev) bound() bool              { return d.d.Bound() }
func (d xeDev) unbind(p *des.Proc)       { d.d.Unbind(p) }
func (d xeDev) bind(p *des.Proc) error   { return d.d.Bind(p) }
func (d xeDev) remove(p *des.Proc)       { d.d.Remove(p) }
func (d xeDev) rescan(p *des.Proc) error { return d.pl.Rescan(p) }
func (d xeDev) open(p *des.Proc, who string) (client, error) {
	c, err := d.d.Open(p, who)
	if err != nil {
		return nil, err
	}
	return xeClient{c}, nil
}

type xeClient struct{ c *xe.Client }

func (c xeClient) submitNoop(p *des.Proc) (*fence.Fence, error) { return c.c.SubmitNoop(p) }
func (c xeClient) closed() bool                                 { return c.c.Closed() }

// putFence: xe's Exec hands the caller a reference (its out-syncobj's).
func (c xeClient) putFence(p *des.Proc, f *fence.Fence) { f.Put(p) }
func (c xeClient) close(p *des.Proc) {
	if !c.c.Closed() {
		_ = c.c.Close(p)
	}
}

// ErrUnhealthy wraps every health check failure.
var ErrUnhealthy = errors.New("GPU healthcheck failure")

// HealthTimeout bounds the health check's wait for its no-op job (IGT's sync_fence_wait
// has none; the runner's watchdog is the bound there). Jobs take microseconds in the model.
const HealthTimeout = des.Millisecond

// SettleTime is how long the health check sleeps first. IGT sleeps 1 s to let devtmpfs
// recreate the device nodes; the model has no devtmpfs, and a short settle keeps the check
// inside the window where the driver's deferred work and background load still run.
const SettleTime = 10 * des.Microsecond

// healthCheck is core_hotunplug's healthcheck(): reopen the device, submit a no-op job,
// wait for its fence (as sync_fence_wait does: a dma_fence wait outside any ioctl), check
// the fence status, close. It returns nil or an error wrapping ErrUnhealthy.
func healthCheck(p *des.Proc, d device, who string) error {
	p.Sleep(SettleTime)
	c, err := d.open(p, who)
	if err != nil {
		return fmt.Errorf("%w: %s reopen: %w", ErrUnhealthy, d.name(), err)
	}
	defer c.close(p)
	f, err := c.submitNoop(p)
	if err != nil {
		return fmt.Errorf("%w: %s no-op submit: %w", ErrUnhealthy, d.name(), err)
	}
	defer c.putFence(p, f)
	if !f.WaitTimeout(p, HealthTimeout) {
		return fmt.Errorf("%w: %s no-op job fence not signalled within %v", ErrUnhealthy, d.name(), HealthTimeout)
	}
	if st := f.Status(); st != 1 {
		return fmt.Errorf("%w: %s no-op job fence status %d", ErrUnhealthy, d.name(), st)
	}
	return nil
}
