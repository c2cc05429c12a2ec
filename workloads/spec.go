package workloads

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strings"

	"hotplugsim/internal/strictjson"
)

// Spec is a workload: the topology, the apps, the platform events and the budgets of one run.
// It is plain data, serialised as JSON (see DecodeSpec), checked by Validate, generated and
// shrunk by GenSpec.
type Spec struct {
	Topology Topology `json:"topology"`
	Apps     []App    `json:"apps"`
	Events   []Event  `json:"events"`
	Budgets  Budgets  `json:"budgets"`
}

// Topology is the set of devices a run starts with.
type Topology struct {
	Devices []Device `json:"devices"`
}

// Device is one PCI function with its driver. Policy, if set, overrides the run's policy for
// this device (a topology mixing a fixed and a buggy driver).
type Device struct {
	Name   string `json:"name"`
	Driver string `json:"driver"`
	Policy string `json:"policy,omitempty"`
}

// AppKind is the kind of an app: what its operations are.
type AppKind string

// App kinds.
const (
	AppRender       AppKind = "render"        // submits rendering jobs, maps BOs
	AppCompute      AppKind = "compute"       // submits long compute jobs
	AppAudio        AppKind = "audio"         // PCM stream: mmap'ed ring, control ioctls
	AppIdle         AppKind = "idle"          // opens the device and holds it, doing nothing
	AppDmaBufShare  AppKind = "dma-buf-share" // exports a BO to a peer device (needs peer)
	AppPrimeOffload AppKind = "prime-offload" // renders on device, displays on peer (needs peer)
)

// AppKinds lists every app kind, with one line each.
var AppKinds = KindTable[AppKind]{
	{AppRender, "submits rendering jobs and touches its BOs through CPU mappings"},
	{AppCompute, "submits long-running compute jobs"},
	{AppAudio, "a PCM stream: mmap'ed ring buffer plus control ioctls"},
	{AppIdle, "opens the device and holds it open, doing nothing"},
	{AppDmaBufShare, "exports a BO through dma-buf to a peer device (needs peer)"},
	{AppPrimeOffload, "renders on the device and scans out on the peer (needs peer)"},
}

// App is a group of identical app instances.
type App struct {
	Kind   AppKind `json:"kind"`
	Device string  `json:"device"`
	// Peer is the second device of a dma-buf-share or prime-offload app.
	Peer  string `json:"peer,omitempty"`
	Count int    `json:"count"` // instances, >= 1
	Ops   int    `json:"ops"`   // operations per instance (ioctls, faults, submissions)
	// IntervalNs is the mean think time before each operation (the rate is its inverse);
	// 0 means back to back.
	IntervalNs int64 `json:"interval_ns"`
	BOs        []BO  `json:"bos,omitempty"`
}

// BO placements.
const (
	PlaceVRAM   = "vram"
	PlaceGTT    = "gtt"
	PlaceSystem = "system"
)

// BO is a buffer object an app allocates.
type BO struct {
	SizeBytes int64  `json:"size_bytes"`
	Placement string `json:"placement"`
}

// EventKind is the kind of a platform event: one of EventKinds, or one a scenario defines
// (Scenario.DefineEvents).
type EventKind string

// Platform event kinds.
const (
	EvUnplug          EventKind = "unplug"           // orderly hot-unplug (sysfs remove)
	EvSurpriseRemoval EventKind = "surprise-removal" // the link is gone before the driver knows
	EvRescan          EventKind = "rescan"           // PCI rescan: BARs may move
	EvReplug          EventKind = "replug"           // the device comes back
	EvGPUHang         EventKind = "gpu-hang"         // a job stops making progress (TDR)
	EvBARResize       EventKind = "bar-resize"       // resizable BAR changes size
)

// EventKinds lists every platform event kind, with one line each.
var EventKinds = KindTable[EventKind]{
	{EvUnplug, "orderly hot-unplug (sysfs remove)"},
	{EvSurpriseRemoval, "the device is gone before the driver knows (link down)"},
	{EvRescan, "PCI rescan: the bridge window is reassigned and BARs may move"},
	{EvReplug, "the device comes back and is probed again"},
	{EvGPUHang, "a job stops making progress and the timeout handler runs"},
	{EvBARResize, "resizable BAR changes size (needs bar_size_bytes)"},
}

// Event is a platform event. It happens AtNs after the start of the run or, with After, AtNs
// after the app event it names.
type Event struct {
	Kind   EventKind `json:"kind"`
	Device string    `json:"device"`
	AtNs   int64     `json:"at_ns"`
	After  *AppEvent `json:"after,omitempty"`
	// BARSizeBytes is the new BAR size of a bar-resize event (a power of two, >= 1 MiB).
	BARSizeBytes int64 `json:"bar_size_bytes,omitempty"`
}

// AppEvent names an app event: the first instance of Apps[App] finishing operation Op
// (0-based). If no instance gets there (every instance ended first), the trigger fires when the
// last instance ends, so a relative event always happens.
type AppEvent struct {
	App int `json:"app"`
	Op  int `json:"op"`
}

// Budgets bound a run; 0 means the default: the 120 s hang bound, and time and step bounds
// derived from the Spec (Spec.RunBudgets).
type Budgets struct {
	MaxEvents     uint64 `json:"max_events,omitempty"`
	MaxTimeNs     int64  `json:"max_time_ns,omitempty"`
	HangTimeoutNs int64  `json:"hang_timeout_ns,omitempty"`
}

// Limits on a valid Spec (TIGER_STYLE: a bound on everything). They are what every registered
// model runs within a few hundred milliseconds and tens of MB at any seed (TestSpecMaxima, in
// the module's speclimits_test.go, runs every scenario at each maximum): the models keep
// per-operation state (jobs, fences, trace) and bound their own tables (entities per
// scheduler, unsignalled jobs per fence context), so a larger Spec would run for minutes, take
// gigabytes or trip those bounds instead of finding races.
const (
	MaxDevices   = 16
	MaxApps      = 64
	MaxInstances = 64 // summed over apps
	MaxOps       = 1000
	MaxTotalOps  = 20000 // count × ops summed over apps
	MaxEvents    = 64
	MaxBOs       = 64 // per app
	MaxBOBytes   = int64(1) << 40
	// MaxIntervalNs (1 ms) and MaxAtNs bound a run's virtual time, and so the work of periodic
	// processes (an HD-audio stream's period interrupt every 50 µs) and the reach of time
	// arithmetic: an exponential think time is at most ~37 times its mean.
	MaxIntervalNs = int64(1_000_000)
	MaxAtNs       = int64(1_000_000_000)     // 1 s: the latest platform event
	MaxBudgetNs   = int64(1_000_000_000_000) // 1000 s: max_time_ns and hang_timeout_ns
	// MaxSpecBytes bounds a Spec file: the largest valid Spec is well under it.
	MaxSpecBytes = 1 << 20
)

// DecodeSpec reads one JSON Spec, rejecting unknown fields and trailing data, and validates it.
// Errors are one line.
func DecodeSpec(r io.Reader) (Spec, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSpecBytes+1))
	if err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	if len(b) > MaxSpecBytes {
		return Spec{}, fmt.Errorf("spec: larger than %d bytes", MaxSpecBytes)
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("spec: %s", oneLine(strings.TrimPrefix(err.Error(), "json: ")))
	}
	if dec.More() {
		return Spec{}, errors.New("spec: trailing data after the JSON object")
	}
	if err := strictjson.Keys(b, &s); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	if err := s.Validate(); err != nil {
		return Spec{}, fmt.Errorf("spec: %w", err)
	}
	return s, nil
}

// LoadSpec reads a Spec file.
func LoadSpec(path string) (Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return Spec{}, fmt.Errorf("cannot read spec: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSpecBytes+1))
	if err != nil {
		return Spec{}, fmt.Errorf("cannot read spec: %w", err)
	}
	if len(b) > MaxSpecBytes {
		return Spec{}, fmt.Errorf("%s: spec: larger than %d bytes", path, MaxSpecBytes)
	}
	s, err := DecodeSpec(bytes.NewReader(b))
	if err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// JSON returns the Spec as indented JSON.
func (s Spec) JSON() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // plain data always marshals
	}
	return b
}

// Hash is a 64-bit FNV-1a hash of the Spec's compact JSON: part of a run's identity.
func (s Spec) Hash() string {
	if h, ok := memoHash(&s); ok {
		return h
	}
	b, _ := json.Marshal(s)
	h := fnv.New64a()
	h.Write(b)
	sum := fmt.Sprintf("%016x", h.Sum64())
	rememberHash(&s, sum)
	return sum
}

// Equal reports whether two Specs are the same data.
func (s Spec) Equal(o Spec) bool {
	a, _ := json.Marshal(s)
	b, _ := json.Marshal(o)
	return bytes.Equal(a, b)
}

// Clone returns a deep copy, Equal to s: a nil slice stays nil and an empty one empty (they
// encode differently, as null and [], and so hash differently). cloneFor makes the same copy
// in a worker's reused storage: keep the two in step.
func (s Spec) Clone() Spec {
	c := s
	c.Topology.Devices = slices.Clone(s.Topology.Devices)
	c.Apps = slices.Clone(s.Apps)
	for i := range c.Apps {
		c.Apps[i].BOs = slices.Clone(c.Apps[i].BOs)
	}
	c.Events = slices.Clone(s.Events)
	for i, e := range c.Events {
		if e.After != nil {
			after := *e.After
			e.After = &after
		}
		c.Events[i] = e
	}
	return c
}

// Size summarises how big a Spec is, for shrink reports.
type Size struct {
	Apps, Instances, Ops, Events, BOs int
}

func (z Size) String() string {
	return fmt.Sprintf("apps=%d instances=%d ops=%d events=%d bos=%d", z.Apps, z.Instances, z.Ops, z.Events, z.BOs)
}

// Total is one number for comparisons: every part counts.
func (z Size) Total() int { return z.Apps + z.Instances + z.Ops + z.Events + z.BOs }

// Size measures s.
func (s Spec) Size() Size {
	z := Size{Apps: len(s.Apps), Events: len(s.Events)}
	for _, a := range s.Apps {
		z.Instances += a.Count
		z.Ops += a.Count * a.Ops
		z.BOs += a.Count * len(a.BOs)
	}
	return z
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
