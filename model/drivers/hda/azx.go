package hda

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/firmware"
	"hotplugsim/model/irq"
	"hotplugsim/model/lock"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
	"hotplugsim/model/workqueue"
)

// Errors file operations return.
var (
	ErrNoDevice = errors.New("-ENODEV")
	ErrBusy     = errors.New("-EBUSY")
	ErrIO       = errors.New("-EIO")
	ErrAgain    = errors.New("-EAGAIN")
	ErrBadFD    = errors.New("-EBADFD")
)

// Stats count what a chip did.
type Stats struct {
	Moves        int // BAR moves completed (RescanDone)
	Periods      int // period interrupts processed
	Unsol        int // unsolicited events queued
	UnsolDone    int // unsolicited events the work item processed
	Verbs        int // verbs answered
	VerbTimeouts int
	Spurious     int // responses nobody waited for
}

// Chip is one HD-audio controller, struct azx (sound/pci/hda/hda_controller.h): BAR 0 and
// its mapping, the interrupt line, the stream descriptors, the chip's state (bound, moving)
// and the driver's BAR-move policy; with its Bus (the hdac_bus, CORB/RIRB and unsolicited
// events) and its card (the snd_card). It implements pci.Driver and the movable-BARs hooks.
type Chip struct {
	cfg    Config
	pol    Policy
	sim    *des.Sim
	lbl    des.Label
	dev    *pci.Dev
	regs   *mem.IOMem
	line   *irq.Line
	hw     *hardware
	bound  bool
	probed *des.Completion
	bus    *Bus
	card   *card
	subs   []*substream
	rwsem  *lock.RWSem // ioctl-rwsem
	moving bool
	stats  Stats
	// The patch loader (Config.Patch, patch.go).
	patchPol PatchPolicy
	fw       *firmware.Firmware // chip->fw: the patch, released by snd_card_free
	fwDone   *des.Completion    // completed as azx_firmware_cb returns (wait-fw-cb)
	fwCb     *des.Proc          // the task running azx_firmware_cb, nil before and after
	running  bool               // chip->running: azx_probe_continue got to the end
}

// New makes a chip and its driver under cfg.Policy. Its hardware processes start when the
// PCI device is first probed.
func New(sim *des.Sim, cfg Config) (*Chip, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pol, _ := ParsePolicy(cfg.Policy) // withDefaults checked it
	c := &Chip{cfg: cfg, pol: pol, sim: sim, lbl: des.L(cfg.Name)}
	if cfg.Patch != "" {
		c.patchPol, _ = ParsePatchPolicy(cfg.PatchPolicy)
		c.fwDone = des.NewCompletion(sim, cfg.Name+":fw_done")
		c.fwDone.Queue().SetOwner(func() *des.Proc { return c.fwCb })
	}
	c.line = irq.NewLine(sim, DriverName+":"+cfg.Name)
	c.probed = des.NewCompletion(sim, cfg.Name+":probed")
	c.bus = newBus(sim, c, cfg.Name)
	c.rwsem = lock.NewRWSem(sim, "&chip->bar_move_rwsem")
	c.card = newCard(sim, cfg.Name)
	c.bus.initWork(sim, cfg.Name)
	for sd := 0; sd < cfg.Streams; sd++ {
		c.subs = append(c.subs, newSubstream(sim, c, sd))
	}
	return c, nil
}

// Name is the PCI driver name.
func (c *Chip) Name() string { return DriverName }

// Config returns the chip's configuration, defaults filled in.
func (c *Chip) Config() Config { return c.cfg }

// Stats returns the counters so far.
func (c *Chip) Stats() Stats { return c.stats }

// Line is the chip's interrupt line.
func (c *Chip) Line() *irq.Line { return c.line }

// Moving reports whether a BAR move is between RescanPrepare and RescanDone.
func (c *Chip) Moving() bool { return c.moving }

// WaitProbed blocks until the first probe of the chip finished and reports whether the
// driver is bound.
func (c *Chip) WaitProbed(p *des.Proc) bool {
	c.probed.Wait(p)
	return c.bound
}

// Probe is azx_probe reduced to what the race needs: map BAR 0, take the controller out of
// reset, request the interrupt, start CORB/RIRB and enable interrupts; the card is
// registered, in D0. With a Config.Patch, it asks for the patch and returns, and the firmware
// callback does the rest (probePatched). Probing a bound chip panics: the driver core never
// calls probe for a device that has a driver (__device_attach, drivers/base/dd.c).
func (c *Chip) Probe(p *des.Proc, d *pci.Dev) error {
	if c.bound {
		panic(fmt.Sprintf("hda: azx_probe of %s: bound -> probe: the chip is already bound", c.cfg.Name))
	}
	if c.cfg.Patch != "" {
		return c.probePatched(p, d)
	}
	defer c.probed.CompleteAll()
	if err := c.firstInit(p, d); err != nil {
		return err
	}
	c.bound = true
	c.card.register()
	return nil
}

// firstInit is azx_first_init's part the model needs: map BAR 0, take the controller out of
// reset, request the interrupt, start CORB/RIRB and enable interrupts.
func (c *Chip) firstInit(p *des.Proc, d *pci.Dev) error {
	if d.BAR(0) == nil {
		return errors.New("hda: no BAR 0")
	}
	c.dev = d
	if c.hw == nil {
		c.hw = newHardware(c.sim, c.cfg, d.BAR(0).Region(), c.line)
	}
	if c.regs = d.Iomap(p, 0); c.regs == nil {
		return errors.New("hda: BAR 0 unassigned")
	}
	c.writel(p, regGCTL, gctlCRST)
	if err := irq.RequestIRQ(p, c.line, DriverName, c.interrupt); err != nil {
		c.regs.Iounmap(p)
		return err
	}
	c.initChip(p)
	return nil
}

// Remove is azx_remove reduced: snd_card_disconnect (the card refuses new opens, and
// operations waiting in snd_power_ref_and_wait return -ENODEV), the chip stops, the interrupt
// and the work go, the registers are unmapped. (Unplug is not part of the hda-bar-move
// scenario; open files are not waited for.) With a Config.Patch it is removePatched, which
// also copes with a chip whose probe has not continued yet. Removing an unbound chip panics:
// the driver core calls remove only for a bound driver (__device_release_driver).
func (c *Chip) Remove(p *des.Proc, d *pci.Dev) {
	if !c.bound {
		panic(fmt.Sprintf("hda: azx_remove of %s: unbound -> remove: the chip is not bound", c.cfg.Name))
	}
	if c.cfg.Patch != "" {
		c.removePatched(p)
		return
	}
	c.bound = false
	c.card.disconnect()
	c.stopChip(p)
	irq.FreeIRQ(p, c.line)
	workqueue.CancelWorkSync(p, c.bus.unsolWork)
	c.regs.Iounmap(p)
}

// initChip is azx_init_chip's part the model needs: CORB/RIRB DMA on, interrupts enabled
// for the controller and for every running stream.
func (c *Chip) initChip(p *des.Proc) {
	c.writeb(p, regCORBCTL, corbctlRUN)
	c.writeb(p, regRIRBCTL, rirbctlDMA|rirbctlIRQ)
	ctl := uint32(intctlGIE | intctlCIE)
	for _, s := range c.subs {
		if s.running {
			ctl |= 1 << s.sd
		}
	}
	c.writel(p, regINTCTL, ctl)
}

// stopChip is azx_stop_chip (snd_hdac_bus_stop_chip): interrupts off (azx_int_disable),
// pending statuses cleared (azx_int_clear), RIRB and CORB DMA off (snd_hdac_bus_stop_cmd_io).
func (c *Chip) stopChip(p *des.Proc) {
	c.writel(p, regINTCTL, 0)
	for _, s := range c.subs {
		c.writeb(p, sdReg(s.sd, sdSTS), sdstsBCIS)
	}
	c.writeb(p, regRIRBSTS, rirbstsINT)
	c.writeb(p, regRIRBCTL, 0)
	c.writeb(p, regCORBCTL, 0)
}

// Register accessors (azx_readl and friends). Writes are seen by the hardware model.

func (c *Chip) readl(p *des.Proc, off uint64) uint32 { return c.regs.Read32(p, off) }
func (c *Chip) readw(p *des.Proc, off uint64) uint16 { return c.regs.Read16(p, off) }
func (c *Chip) readb(p *des.Proc, off uint64) uint8  { return c.regs.Read8(p, off) }

func (c *Chip) writel(p *des.Proc, off uint64, v uint32) {
	c.regs.Write32(p, off, v)
	c.hw.written(p, off, uint64(v))
}

func (c *Chip) writew(p *des.Proc, off uint64, v uint16) {
	c.regs.Write16(p, off, v)
	c.hw.written(p, off, uint64(v))
}

func (c *Chip) writeb(p *des.Proc, off uint64, v uint8) {
	c.regs.Write8(p, off, v)
	c.hw.written(p, off, uint64(v))
}
