package hda

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/mm"
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
	// Patch is the patch= module parameter (CONFIG_SND_HDA_PATCH_LOADER): a file under
	// /lib/firmware that Probe asks for with request_firmware_nowait, the rest of the probe
	// running in the firmware callback (patch.go). "": no patch, Probe runs to the end.
	Patch string
	// PatchPolicy names one of PatchPolicies: what Remove does about a patch load still
	// pending ("": DefaultPatchPolicy). Only a chip with a Patch reads it.
	PatchPolicy string
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
	if c.Patch != "" && c.PatchPolicy == "" {
		c.PatchPolicy = DefaultPatchPolicy
	}
	if c.PatchPolicy != "" {
		if _, err := ParsePatchPolicy(c.PatchPolicy); err != nil {
			return c, err
		}
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
