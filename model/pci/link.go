package pci

import "hotplugsim/des"

// Link is the device's hardware as its DMA engines see it: present or gone, its
// incarnation, and whether error recovery isolates the channel (sched.Ring.AttachHW takes
// it as a sched.Channel).
type Link struct{ d *Dev }

// Link returns the device's link.
func (d *Dev) Link() Link { return Link{d} }

// Present reports whether the hardware is on the bus.
func (l Link) Present() bool { return l.d.hw.Present() }

// Generation is the hardware's incarnation (bumped at each replug).
func (l Link) Generation() int { return l.d.hw.Generation() }

// Isolated reports whether the channel blocks the device's DMA and MMIO: frozen by an
// uncorrectable error until the link reset, or disconnected for good.
func (l Link) Isolated() bool { return l.d.hw.Frozen() || l.d.IsDisconnected() }

// ResetQueue is woken when a reset ends a frozen channel.
func (l Link) ResetQueue() *des.WaitQueue {
	d := l.d
	if d.resetWQ == nil {
		d.resetWQ = des.NewWaitQueue(d.host.sim, des.Join(d.host.sim, "link-reset:", d.name))
	}
	return d.resetWQ
}

// linkReset is the end of a frozen channel: the hardware is reset and whoever waits for the
// link is woken.
func (d *Dev) linkReset(p *des.Proc) {
	d.hw.Reset(p)
	if d.resetWQ != nil {
		d.resetWQ.WakeAll()
	}
}
