package pci

import (
	"errors"
	"fmt"

	"hotplugsim/des"
)

// Slot Status change bits the model has (include/uapi/linux/pci_regs.h PCI_EXP_SLTSTA_*);
// Slot Control's enable bits for them (PCI_EXP_SLTCTL_PDCE, _DLLSCE) are the same mask here.
const (
	SlotPDC   = 0x0008 // PCI_EXP_SLTSTA_PDC: Presence Detect Changed
	SlotDLLSC = 0x0100 // PCI_EXP_SLTSTA_DLLSC: Data Link Layer State Changed
	// SlotLinkEvents are the events pciehp_reset_slot masks and clears.
	SlotLinkEvents = SlotPDC | SlotDLLSC
)

// Times of a Secondary Bus Reset and of pciehp's slot bring-up (drivers/pci/pci.c, pci.h).
const (
	// SBRAssertTime is how long PCI_BRIDGE_CTL_BUS_RESET stays set (pci_reset_secondary_bus:
	// msleep(2), twice the spec's 1 ms Trst).
	SBRAssertTime = 2 * des.Millisecond
	// SecondaryBusDelay is pci_bridge_wait_for_secondary_bus's wait after the reset before the
	// first config access (PCIe r6.0 sec 6.6.1, 100 ms for links up to 5 GT/s), also
	// pcie_wait_for_link's after the link is up.
	SecondaryBusDelay = 100 * des.Millisecond
	// ResetReadyTimeout is pci_dev_wait's limit (PCIE_RESET_READY_POLL_MS).
	ResetReadyTimeout = 60 * des.Second
	// ResetWait is how long pci_bridge_wait_for_secondary_bus lets a device take to answer
	// before it asks whether the link is up at all (PCI_RESET_WAIT, PCIe r6.0 sec 6.6.1's 1 s).
	ResetWait = des.Second
	// LinkWaitTimeout bounds pcie_wait_for_link's poll of Data Link Layer Link Active.
	LinkWaitTimeout = des.Second
	// LinkPollInterval is that poll's period.
	LinkPollInterval = 10 * des.Millisecond
	// DefaultLinkTrainTime is how long a link takes to train after the reset is deasserted.
	DefaultLinkTrainTime = 20 * des.Millisecond
	maxReadyPolls        = 64 // pci_dev_wait doubles its delay: 2^16 ms is past the timeout
)

// ErrNotReady is pci_dev_wait giving up ("not ready after %dms; giving up", -ENOTTY).
var ErrNotReady = errors.New("pci: device not ready after reset (ENOTTY)")

// SlotConfig is a hotplug slot's hardware and the pciehp it runs.
type SlotConfig struct {
	// LinkTrainTime is how long the link below the port takes to come back up after a
	// Secondary Bus Reset is deasserted (0: DefaultLinkTrainTime).
	LinkTrainTime des.Duration
	// Bwctrl: the port's bandwidth controller (PCIe bwctrl, v6.13+) shares the interrupt, and
	// a link that trains raises a Link Bandwidth Notification on it, so pciehp_isr runs and
	// reads Slot Status whatever Slot Control enables.
	Bwctrl bool
	// MaskOnReset: ResetSlot masks and clears the link events as pciehp_reset_slot did
	// before "PCI: pciehp: Ignore Link Down/Up caused by Secondary Bus Reset" (2025); without
	// it, the reset is annotated with IgnoreLinkChange and pciehp_ist ignores its events.
	MaskOnReset bool
}

// Slot is a PCIe hotplug slot below a Root or Downstream Port with pciehp bound (struct
// controller): Slot Control's event enables, Slot Status's latched change bits, the pending
// events pciehp_isr hands to pciehp_ist, the slot's state, and ctrl->reset_lock.
type Slot struct {
	host      *Host
	port      *Dev
	label     des.Label
	cfg       SlotConfig
	enabled   uint16 // Slot Control: the change events that interrupt (PDCE, DLLSCE)
	status    uint16 // Slot Status: change bits latched by the hardware
	pending   uint16 // ctrl->pending_events
	on        bool   // ctrl->state == ON_STATE
	resetLock rwsem  // ctrl->reset_lock
	istWQ     *des.WaitQueue
	ist       *des.Proc
	handled   int // events pciehp_ist acted on
	ignored   int // events pciehp_ist ignored as spurious link changes
	// linkChanging and linkChanged are the port's PCI_LINK_CHANGING and PCI_LINK_CHANGED
	// priv_flags (IgnoreLinkChange); linkWQ is pci_hp_link_change_wq.
	linkChanging, linkChanged bool
	linkWQ                    *des.WaitQueue
}

var slots = des.NewSlabKey[Slot]()

// Recycle empties the slot (des.Recycler).
func (s *Slot) Recycle() { *s = Slot{} }

var (
	evSlotLatch  = des.L("pciehp-slot-status")
	evSlotIgnore = des.L("pciehp: ignoring hotplug event")
	evSlotMask   = des.L("pciehp-slot-control")
	evSlotClear  = des.L("pciehp-clear-events")
	evLinkDown   = des.L("pciehp: Slot: Link Down")
	evSlotOn     = des.L("pciehp_enable_slot")
	evResetSlot  = des.L("pciehp_reset_slot")
	evSBR        = des.L("pci_reset_secondary_bus")
	evLinkUp     = des.L("pcie-link-up")
	evDevWait    = des.L("pci_dev_wait")
	evResetFn    = des.L("pci_reset_function")
	evBwNotify   = des.L("pcie-bwctrl-notification")
	evIgnoreLink = des.L("pciehp: Slot: Link Down/Up ignored")
	evLinkChg    = des.L("pci_hp_ignore_link_change")
	evPullCard   = des.L("pciehp: Slot: Card not present")
	evNoDevice   = des.L("pciehp: Slot: No device found")
)

// AddSlot binds pciehp to port, a bridge: its slot is on (occupied, ON_STATE), link and
// presence events enabled, and pciehp_ist waits for events in a daemon thread named
// "irq/pciehp:<port>". Before Boot or after, as pciehp_probe at the port's enumeration.
func (h *Host) AddSlot(port *Dev, cfg SlotConfig) (*Slot, error) {
	if port == nil || port.host != h || port.sub == nil {
		return nil, errors.New("pci: a hotplug slot needs a bridge of this host")
	}
	if port.slot != nil {
		return nil, fmt.Errorf("pci: %s has a hotplug slot already", port.name)
	}
	s := slots.New(h.sim)
	s.host, s.port, s.label, s.cfg = h, port, port.label, cfg
	s.cfg.LinkTrainTime = orDefault(cfg.LinkTrainTime, DefaultLinkTrainTime)
	s.enabled, s.on = SlotLinkEvents, true
	s.resetLock.init(h.sim, des.Join(h.sim, "reset_lock:", port.name))
	s.istWQ = des.NewWaitQueue(h.sim, des.Join(h.sim, "pciehp-events:", port.name))
	s.linkWQ = des.NewWaitQueue(h.sim, des.Join(h.sim, "pci_hp_link_change_wq:", port.name))
	s.ist = h.sim.Spawn(des.Join(h.sim, "irq/pciehp:", port.name), des.Task, s.istLoop).SetDaemon()
	port.slot = s
	return s, nil
}

// Slot is the hotplug slot of a bridge (nil if pciehp is not bound to it).
func (d *Dev) Slot() *Slot { return d.slot }

// Port is the bridge the slot is below.
func (s *Slot) Port() *Dev { return s.port }

// IST is the process running pciehp_ist.
func (s *Slot) IST() *des.Proc { return s.ist }

// On reports whether the slot is on (ON_STATE).
func (s *Slot) On() bool { return s.on }

// Handled is how many times pciehp_ist acted on a presence or link change.
func (s *Slot) Handled() int { return s.handled }

// Ignored is how many times pciehp_ist ignored link changes as spurious.
func (s *Slot) Ignored() int { return s.ignored }

// Status is Slot Status's latched change bits.
func (s *Slot) Status() uint16 { return s.status }

// latch is the hardware setting change bits in Slot Status; an enabled one interrupts.
func (s *Slot) latch(p *des.Proc, bits uint16) {
	s.status |= bits
	s.host.point(p, evSlotLatch, s.label, int64(s.status), int64(s.enabled))
	s.interrupt(p)
}

// interrupt is the slot's own hotplug interrupt, raised where a change bit is latched while
// enabled or enabled while latched: pciehp_isr runs (isr).
func (s *Slot) interrupt(p *des.Proc) {
	if s.status&s.enabled == 0 {
		return
	}
	s.isr(p)
}

// bandwidthNotification is bwctrl's Link Bandwidth Notification on the interrupt pciehp
// shares: pciehp_isr runs and takes whatever Slot Status holds, masked or not.
func (s *Slot) bandwidthNotification(p *des.Proc) {
	s.host.point(p, evBwNotify, s.label, int64(s.status), 0)
	if s.status != 0 {
		s.isr(p)
	}
}

// isr is pciehp_isr's body: read and clear Slot Status, drop the events of a port marked
// ignore_hotplug, else add them to pending_events and wake the IST.
func (s *Slot) isr(p *des.Proc) {
	events := s.status
	s.status = 0
	if s.port.ignoreHotplug {
		s.host.point(p, evSlotIgnore, s.label, int64(events), 0)
		return
	}
	s.pending |= events
	s.istWQ.WakeAll()
}

// MaskEvents is pcie_write_cmd(ctrl, 0, PDCE | DLLSCE): the link and presence changes no
// longer interrupt; the hardware still latches them in Slot Status.
func (s *Slot) MaskEvents(p *des.Proc) {
	s.enabled = 0
	s.host.point(p, evSlotMask, s.label, 0, int64(s.status))
}

// UnmaskEvents is pcie_write_cmd_nowait(ctrl, PDCE | DLLSCE, PDCE | DLLSCE): a change still
// latched in Slot Status interrupts at once.
func (s *Slot) UnmaskEvents(p *des.Proc) {
	s.enabled = SlotLinkEvents
	s.host.point(p, evSlotMask, s.label, SlotLinkEvents, int64(s.status))
	s.interrupt(p)
}

// ClearEvents is pcie_capability_write_word(port, PCI_EXP_SLTSTA, PDC | DLLSC): the latched
// changes are cleared (write one to clear).
func (s *Slot) ClearEvents(p *des.Proc) {
	s.host.point(p, evSlotClear, s.label, int64(s.status), 0)
	s.status &^= SlotLinkEvents
}

// ResetSlot is pciehp_reset_slot, the slot's reset_slot method that pci_reset_function and
// pci_reset_bus reach through pci_reset_hotplug_slot: under reset_lock for writing, the
// secondary bus reset and the wait for it, annotated with IgnoreLinkChange (mainline since
// 2025); with SlotConfig.MaskOnReset, as before: mask the link and presence events, reset,
// clear the events the reset latched, unmask.
func (s *Slot) ResetSlot(p *des.Proc) error {
	p.Point(evResetSlot, s.label, 0, 0)
	s.resetLock.downWrite(p)
	defer s.resetLock.upWrite()
	if !s.cfg.MaskOnReset {
		s.IgnoreLinkChange(p)
		defer s.UnignoreLinkChange(p)
		return s.host.BridgeSecondaryBusReset(p, s.port)
	}
	s.MaskEvents(p)
	err := s.host.BridgeSecondaryBusReset(p, s.port)
	s.ClearEvents(p)
	s.UnmaskEvents(p)
	return err
}

// IgnoreLinkChange is pci_hp_ignore_link_change on the port: the code that follows causes
// spurious link changes (PCI_LINK_CHANGING), which pciehp_ist awaits and ignores. A driver
// may call it around a reset of its own.
func (s *Slot) IgnoreLinkChange(p *des.Proc) {
	s.host.point(p, evLinkChg, s.label, 1, 0)
	s.linkChanging = true
}

// UnignoreLinkChange is pci_hp_unignore_link_change: PCI_LINK_CHANGED set, PCI_LINK_CHANGING
// cleared, the waiters woken.
func (s *Slot) UnignoreLinkChange(p *des.Proc) {
	s.host.point(p, evLinkChg, s.label, 0, 0)
	s.linkChanged, s.linkChanging = true, false
	s.linkWQ.WakeAll()
}

// spuriousLinkChange is pci_hp_spurious_link_change: wait while a section that changes the
// link runs, then report (and clear) whether one ran.
func (s *Slot) spuriousLinkChange(p *des.Proc) bool {
	s.linkWQ.Wait(p, func() bool { return !s.linkChanging })
	changed := s.linkChanged
	s.linkChanged = false
	return changed
}

// ignoreLinkChange is pciehp_ignore_link_change: drop the link events pending (those that
// came while waiting too), and, under reset_lock, request the ignored events again
// (pciehp_request) if the link is down after all: a card pulled during the section is
// removed once it ends.
func (s *Slot) ignoreLinkChange(p *des.Proc, ignored uint16) {
	s.ignored++
	s.pending &^= ignored
	p.Point(evIgnoreLink, s.label, int64(ignored), 0)
	s.resetLock.downRead(p)
	if s.port.linkDown {
		s.pending |= ignored
	}
	s.resetLock.upRead()
}

// istLoop is pciehp_ist in the port's irq thread: take the pending events, ignore link
// changes a section annotated with IgnoreLinkChange caused (after waiting for its end, as
// pciehp_ist calls pci_hp_spurious_link_change before it tests ON_STATE), and, under
// reset_lock for reading, handle the presence or link change left.
func (s *Slot) istLoop(p *des.Proc) {
	for i := 0; i < maxISTRuns; i++ {
		if s.istWQ.WaitStop(p, func() bool { return s.pending != 0 }) {
			return
		}
		events := s.pending
		s.pending = 0
		if events&SlotLinkEvents != 0 && s.spuriousLinkChange(p) && s.on {
			ignored := SlotDLLSC | events&SlotPDC
			events &^= ignored
			s.ignoreLinkChange(p, ignored)
		}
		if events&SlotLinkEvents == 0 {
			continue
		}
		s.resetLock.downRead(p)
		s.handlePresenceOrLinkChange(p, events)
		s.resetLock.upRead()
	}
}

const maxISTRuns = 1 << 10 // events one run can raise are a handful

// handlePresenceOrLinkChange is pciehp_handle_presence_or_link_change: a slot that is on is
// turned off whatever the change ("we cannot assume the card is the same"), by surprise
// removal; then a slot whose card is present, or whose link is up, is turned on again.
func (s *Slot) handlePresenceOrLinkChange(p *des.Proc, events uint16) {
	s.handled++
	if s.on {
		s.on = false
		p.Point(evLinkDown, s.label, int64(events), 0)
		s.disableSlot(p)
	}
	if !s.cardPresent() {
		return
	}
	s.enableSlot(p)
}

// cardPresent is pciehp_card_present: Presence Detect State, from the hardware below the
// port (a Secondary Bus Reset leaves the card where it is).
func (s *Slot) cardPresent() bool { return s.port.presentBelow() }

// disableSlot is pciehp_disable_slot(ctrl, SURPRISE_REMOVAL): pciehp_unconfigure_device with
// presence false, so every device below is marked disconnected before its driver's .remove,
// newest first as list_for_each_entry_safe_reverse walks the bus. reset_lock is dropped
// around each pci_stop_and_remove_bus_device ("Release reset_lock during driver unbinding to
// avoid AB-BA deadlock with device_lock").
func (s *Slot) disableSlot(p *des.Proc) {
	devs := s.port.sub.devices
	for i := len(devs) - 1; i >= 0; i-- {
		s.resetLock.upRead()
		s.host.pciehpUnconfigure(p, devs[i], false)
		s.resetLock.downRead(p)
	}
}

// enableSlot is pciehp_enable_slot -> board_added: pciehp_check_link_status waits for the
// link (pcie_wait_for_link: Link Active, then SecondaryBusDelay), gives up if no device
// answers (pci_bus_check_dev), else drops the link and presence changes pending up to this
// point, and pciehp_configure_device scans the slot and probes what it finds (Replug of the
// devices still present), with reset_lock dropped as around its pci_bus_add_devices.
func (s *Slot) enableSlot(p *des.Proc) {
	p.Point(evSlotOn, s.label, 0, 0)
	if !s.waitLink(p) {
		return // "link training error": the slot stays off
	}
	p.Sleep(SecondaryBusDelay)
	if !s.cardPresent() {
		p.Point(evNoDevice, s.label, 0, 0)
		return // pciehp_check_link_status: "No device found", the events kept
	}
	s.pending &^= SlotLinkEvents
	s.on = true
	for _, d := range s.port.sub.devices {
		if d.state == stateRemoved {
			s.resetLock.upRead()
			_ = s.host.replug(p, d, true)
			s.resetLock.downRead(p)
		}
	}
}

// waitLink polls Data Link Layer Link Active for up to LinkWaitTimeout.
func (s *Slot) waitLink(p *des.Proc) bool {
	for waited := des.Duration(0); s.port.linkDown; waited += LinkPollInterval {
		if waited >= LinkWaitTimeout {
			return false
		}
		p.Sleep(LinkPollInterval)
	}
	return true
}

// PullCard is a surprise removal of the slot's card: every device below vanishes (Unplug),
// the link goes down (a link training in flight never completes), and the slot latches
// Presence Detect Changed, with Data Link Layer State Changed if the link was up; pciehp_isr
// runs if they are enabled, and pciehp_ist removes the devices (unless the port is marked
// ignore_hotplug, or after an annotated section that was running has ended).
func (s *Slot) PullCard(p *des.Proc) {
	p.Point(evPullCard, s.label, 0, 0)
	for _, d := range s.port.sub.devices {
		if d.hw.Present() {
			s.host.Unplug(p, d)
		}
	}
	bits := uint16(SlotPDC)
	if !s.port.linkDown {
		bits |= SlotDLLSC
	}
	s.port.linkDown = true
	s.port.linkGen++
	s.latch(p, bits)
}

// IgnoreHotplug is pci_ignore_hotplug: the device and its upstream bridge are marked
// ignore_hotplug, and pciehp_isr drops every event of that bridge's slot from then on.
func (d *Dev) IgnoreHotplug() {
	d.ignoreHotplug = true
	if br := d.bus.self; br != nil {
		br.ignoreHotplug = true
	}
}

// SecondaryBusReset is pci_reset_secondary_bus on bridge: set PCI_BRIDGE_CTL_BUS_RESET (the
// link goes down: every device below reads all ones, and the slot latches Data Link Layer
// State Changed if the link was up), wait SBRAssertTime, clear it. The link trains again
// LinkTrainTime later (a "link-train" process) if a card is there to train with: the
// devices come back out of reset and the slot latches the change again.
func (h *Host) SecondaryBusReset(p *des.Proc, bridge *Dev) {
	if bridge.sub == nil {
		panic(fmt.Sprintf("pci: secondary bus reset of %s, which is not a bridge", bridge.name))
	}
	p.Point(evSBR, bridge.label, 1, 0)
	wasUp := !bridge.linkDown
	bridge.linkDown = true
	bridge.linkGen++
	bridge.walkBelow(func(x *Dev) {
		if x.hw.Present() && !x.hw.Frozen() {
			x.hw.Freeze(p)
		}
	})
	if bridge.slot != nil && wasUp {
		bridge.slot.latch(p, SlotDLLSC)
	}
	p.Sleep(SBRAssertTime)
	p.Point(evSBR, bridge.label, 0, 0)
	gen := bridge.linkGen
	train := bridge.slotTrainTime()
	h.sim.Spawn(des.Join(h.sim, "link-train:", bridge.name), des.Task, func(q *des.Proc) {
		q.Sleep(train)
		if bridge.linkGen == gen && bridge.presentBelow() {
			bridge.linkUp(q)
		}
	})
}

// presentBelow reports whether any device below the bridge d is physically there.
func (d *Dev) presentBelow() bool {
	for _, c := range d.sub.devices {
		if c.hw.Present() {
			return true
		}
	}
	return false
}

func (d *Dev) slotTrainTime() des.Duration {
	if d.slot != nil {
		return d.slot.cfg.LinkTrainTime
	}
	return DefaultLinkTrainTime
}

// linkUp is the link below the bridge trained: the devices are out of reset (registers at
// their reset values) and the slot latches the change.
func (d *Dev) linkUp(p *des.Proc) {
	d.linkDown = false
	p.Point(evLinkUp, d.label, int64(d.linkGen), 0)
	d.walkBelow(func(x *Dev) {
		if x.hw.Frozen() {
			x.linkReset(p)
		}
	})
	if s := d.slot; s != nil {
		s.latch(p, SlotDLLSC)
		if s.cfg.Bwctrl {
			s.bandwidthNotification(p)
		}
	}
}

// LinkDown reports whether the link below the bridge is down (in or training after a reset).
func (d *Dev) LinkDown() bool { return d.linkDown }

// walkBelow calls fn on every device below the bridge d.
func (d *Dev) walkBelow(fn func(*Dev)) {
	for _, c := range d.sub.devices {
		c.walk(fn)
	}
}

// WaitForSecondaryBus is pci_bridge_wait_for_secondary_bus after a reset of a port of up to
// 5 GT/s: SecondaryBusDelay, then pci_dev_wait on the devices below for up to ResetWait
// less that delay; a device still silent then is given the rest of ResetReadyTimeout only
// if the link is up, else the wait ends with ErrNotReady ("the device is not present
// anymore", -ENOTTY). A bus whose devices were removed has nothing to wait for.
func (h *Host) WaitForSecondaryBus(p *des.Proc, bridge *Dev) error {
	p.Sleep(SecondaryBusDelay)
	for _, c := range bridge.sub.devices {
		if c.state != stateAdded {
			continue
		}
		err := c.waitReady(p, ResetWait-SecondaryBusDelay)
		if err != ErrNotReady {
			return err
		}
		if bridge.linkDown {
			return ErrNotReady
		}
		return c.waitReady(p, ResetReadyTimeout-ResetWait)
	}
	return nil
}

// BridgeSecondaryBusReset is pci_bridge_secondary_bus_reset: SecondaryBusReset, then
// WaitForSecondaryBus. Nothing here tells the bridge's hotplug slot.
func (h *Host) BridgeSecondaryBusReset(p *des.Proc, bridge *Dev) error {
	h.SecondaryBusReset(p, bridge)
	return h.WaitForSecondaryBus(p, bridge)
}

// WaitReady is pci_dev_wait: read PCI_COMMAND until it is not all ones, sleeping 1, 2, 4 ...
// ms in between, for up to ResetReadyTimeout (ErrNotReady); a disconnected device fails at
// once.
func (d *Dev) WaitReady(p *des.Proc) error { return d.waitReady(p, ResetReadyTimeout) }

// waitReady is pci_dev_wait(dev, reset_type, timeout).
func (d *Dev) waitReady(p *des.Proc, timeout des.Duration) error {
	delay, waited := des.Millisecond, des.Duration(0)
	for i := 0; i < maxReadyPolls; i++ {
		v, err := d.ReadConfig16(p, ConfigCommand)
		switch {
		case err != nil:
			return err
		case v != ErrorResponse:
			return nil
		case waited > timeout:
			p.Point(evDevWait, d.label, int64(waited), 0)
			return ErrNotReady
		}
		p.Sleep(delay)
		waited += delay
		delay *= 2
	}
	return ErrNotReady
}

// ResetFunction is pci_reset_function's bus-reset path (pci_reset_bus_function): under the
// device_lock (pci_dev_lock), a device in a hotplug slot is reset through the slot
// (pci_dev_reset_slot_function -> pci_reset_hotplug_slot -> ResetSlot), any other through
// its parent bridge (pci_parent_bus_reset -> BridgeSecondaryBusReset).
func (h *Host) ResetFunction(p *des.Proc, d *Dev) error {
	br := d.bus.self
	if br == nil {
		return ErrNotReady // on the root bus: no bus reset (-ENOTTY)
	}
	p.Point(evResetFn, d.label, 0, 0)
	d.DeviceLock(p)
	defer d.DeviceUnlock(p)
	if br.slot != nil {
		return br.slot.ResetSlot(p)
	}
	return h.BridgeSecondaryBusReset(p, br)
}

// ErrAgain is pci_try_reset_function finding the device_lock held (-EAGAIN).
var ErrAgain = errors.New("pci: device locked, reset not tried (EAGAIN)")

// TryResetFunction is pci_try_reset_function: ResetFunction if pci_dev_trylock gets the
// device_lock at once, else ErrAgain without waiting (a caller that a device_lock holder may
// be waiting for, such as a .remove under it, does not deadlock).
func (h *Host) TryResetFunction(p *des.Proc, d *Dev) error {
	br := d.bus.self
	if br == nil {
		return ErrNotReady
	}
	p.Point(evResetFn, d.label, 1, 0)
	if d.lock.owner != nil {
		return ErrAgain
	}
	d.DeviceLock(p)
	defer d.DeviceUnlock(p)
	if br.slot != nil {
		return br.slot.ResetSlot(p)
	}
	return h.BridgeSecondaryBusReset(p, br)
}

// rwsem is a sleeping reader-writer lock (ctrl->reset_lock), writers not starved: a waiting
// writer holds back new readers, as rwsem's handoff does.
type rwsem struct {
	wq       *des.WaitQueue
	readers  int
	writer   *des.Proc
	wwaiting int
}

func (r *rwsem) init(sim *des.Sim, name string) { r.wq = des.NewWaitQueue(sim, name) }

func (r *rwsem) downRead(p *des.Proc) {
	r.wq.Wait(p, func() bool { return r.writer == nil && r.wwaiting == 0 })
	r.readers++
}

func (r *rwsem) upRead() {
	r.readers--
	r.wq.WakeAll()
}

func (r *rwsem) downWrite(p *des.Proc) {
	r.wwaiting++
	r.wq.Wait(p, func() bool { return r.writer == nil && r.readers == 0 })
	r.wwaiting--
	r.writer = p
}

func (r *rwsem) upWrite() {
	r.writer = nil
	r.wq.WakeAll()
}
