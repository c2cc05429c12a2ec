package hda

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/irq"
	"hotplugsim/model/lock"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/pci"
	"hotplugsim/model/workqueue"
)

// DriverName is the PCI driver's name (what a Spec's device names as its driver).
const DriverName = "snd_hda_intel"

// Defaults of Config.
const (
	DefaultStreams         = 2
	DefaultPeriod          = 50 * des.Microsecond
	DefaultCodecLatencyMin = 5 * des.Microsecond
	DefaultCodecLatencyMax = 15 * des.Microsecond
	DefaultUnsolPerPeriod  = 0.25
	DefaultUnsolVerbs      = 4
	DefaultMoveBound       = 2 * des.Millisecond
	DefaultCmdTimeout      = 1 * des.Millisecond
	// BufferPages is the PCM buffer size in pages; a period is one page.
	BufferPages = 4
	// StallPeriods: a stream running across a BAR move must see a period interrupt and a
	// position change within this many periods after RescanDone.
	StallPeriods = 4
	// PollInterval is the udelay between two polls of the RIRB.
	PollInterval = 10 * des.Microsecond
	// MaxStreams bounds Config.Streams (INTCTL has 30 stream bits).
	MaxStreams = 16
)

// Config describes one HD-audio controller with its driver.
type Config struct {
	Name   string // card name ("hda0"): traces, process names, the "hw/<name>" stream
	Policy string // the name of one of Policies
	// Streams is the number of playback stream descriptors (0: DefaultStreams).
	Streams int
	// Period is the time a stream takes to play one period (0: DefaultPeriod).
	Period des.Duration
	// CodecLatencyMin/Max bound the codec's time to answer a verb (0: defaults).
	CodecLatencyMin, CodecLatencyMax des.Duration
	// UnsolPerPeriod is the probability that the codec posts an unsolicited event at a
	// period boundary of a running stream (0: DefaultUnsolPerPeriod; negative: never).
	UnsolPerPeriod float64
	// UnsolVerbs is how many verbs the work item sends per unsolicited event (0: default).
	UnsolVerbs int
	// MoveBound bounds wait-close's wait for open files (0: DefaultMoveBound).
	MoveBound des.Duration
	// CmdTimeout bounds the wait for one verb's response (0: DefaultCmdTimeout).
	CmdTimeout des.Duration
}

// PeriodBytes is the size of one period (a page).
func (c Config) PeriodBytes() uint32 { return uint32(mm.PageSize) }

// BufferBytes is the size of the PCM buffer.
func (c Config) BufferBytes() uint32 { return BufferPages * uint32(mm.PageSize) }

func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		return c, errors.New("hda: Config.Name is empty")
	}
	if _, err := ParsePolicy(c.Policy); err != nil {
		return c, err
	}
	def := func(d *des.Duration, v des.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Streams == 0 {
		c.Streams = DefaultStreams
	}
	if c.Streams < 0 || c.Streams > MaxStreams {
		return c, fmt.Errorf("hda: Config.Streams %d: want 1..%d", c.Streams, MaxStreams)
	}
	def(&c.Period, DefaultPeriod)
	def(&c.CodecLatencyMin, DefaultCodecLatencyMin)
	def(&c.CodecLatencyMax, DefaultCodecLatencyMax)
	def(&c.MoveBound, DefaultMoveBound)
	def(&c.CmdTimeout, DefaultCmdTimeout)
	if c.UnsolPerPeriod == 0 {
		c.UnsolPerPeriod = DefaultUnsolPerPeriod
	}
	if c.UnsolVerbs == 0 {
		c.UnsolVerbs = DefaultUnsolVerbs
	}
	switch {
	case c.Period < 0 || c.CodecLatencyMin < 0 || c.CodecLatencyMax < c.CodecLatencyMin:
		return c, errors.New("hda: negative period or bad codec latency range")
	case c.MoveBound < 0 || c.CmdTimeout < 0 || c.UnsolVerbs < 0 || c.UnsolPerPeriod > 1:
		return c, errors.New("hda: negative bound, timeout or verb count, or probability > 1")
	}
	return c, nil
}

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

// Chip is one HD-audio controller (struct azx with its hdac_bus) and the snd_card on it,
// bound by the driver model under one policy. It implements pci.Driver and the
// movable-BARs hooks.
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

	regLock  *lock.SpinLock // bus->reg_lock
	cmdMutex *lock.Mutex    // bus->cmd_mutex
	rirbRP   uint16
	cmds     int
	res      uint32

	unsolQ        [unsolQueueSize]rirbEntry
	unsolRP       int
	unsolWP       int
	unsolWork     *workqueue.Work
	unsolLbl      des.Label
	subs          []*substream
	rwsem         *lock.RWSem // ioctl-rwsem
	files         int
	filesWQ       *des.WaitQueue
	shutdown      bool // card->shutdown while snd_hda_lock_devices holds (wait-close), or removed
	d0            bool // the card's power state is D0
	powerRef      int
	powerSleep    *des.WaitQueue // card->power_sleep
	powerRefSleep *des.WaitQueue // card->power_ref_sleep
	moving        bool
	stats         Stats
}

const unsolQueueSize = 64 // HDA_UNSOL_QUEUE_SIZE

// New makes a chip and its driver under cfg.Policy. Its hardware processes start when the
// PCI device is first probed.
func New(sim *des.Sim, cfg Config) (*Chip, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pol, _ := ParsePolicy(cfg.Policy) // withDefaults checked it
	c := &Chip{cfg: cfg, pol: pol, sim: sim, lbl: des.L(cfg.Name), line: irq.NewLine(sim, DriverName+":"+cfg.Name),
		probed:        des.NewCompletion(sim, cfg.Name+":probed"),
		regLock:       lock.NewSpinLock(sim, "&bus->reg_lock"),
		cmdMutex:      lock.NewMutex(sim, "&bus->cmd_mutex"),
		unsolLbl:      des.L(cfg.Name + ":unsol_work"),
		rwsem:         lock.NewRWSem(sim, "&chip->bar_move_rwsem"),
		filesWQ:       des.NewWaitQueue(sim, cfg.Name+":files"),
		powerSleep:    des.NewWaitQueue(sim, cfg.Name+":power_sleep"),
		powerRefSleep: des.NewWaitQueue(sim, cfg.Name+":power_ref_sleep")}
	c.unsolWork = workqueue.InitWorkKey(sim, cfg.Name+":unsol_work", "(&bus->unsol_work)", c.processUnsol)
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
// reset, request the interrupt, start CORB/RIRB and enable interrupts; the card is in D0.
func (c *Chip) Probe(p *des.Proc, d *pci.Dev) error {
	defer c.probed.CompleteAll()
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
	c.bound, c.d0, c.shutdown = true, true, false
	return nil
}

// Remove is azx_remove reduced: snd_card_disconnect (the card refuses new opens, and
// operations waiting in snd_power_ref_and_wait return -ENODEV), the chip stops, the interrupt
// and the work go, the registers are unmapped. (Unplug is not part of the hda-bar-move
// scenario; open files are not waited for.)
func (c *Chip) Remove(p *des.Proc, d *pci.Dev) {
	c.bound, c.shutdown = false, true
	c.powerSleep.WakeAll() // snd_card_disconnect: power waiters see card->shutdown
	c.stopChip(p)
	irq.FreeIRQ(p, c.line)
	workqueue.CancelWorkSync(p, c.unsolWork)
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
