package workloads

import (
	"fmt"
)

// FieldError is a validation error naming the field, as in `apps[1].count: must be >= 1`.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// path is a field path such as apps[1] or apps[1].bos[2], formatted only for an error.
type path struct {
	base string
	i    int
	rest string // after [i]; with [j] if j >= 0
	j    int
}

func elem(base string, i int) path { return path{base: base, i: i, j: -1} }

// in is the path of element j of the list sub under f (apps[1].bos[2]).
func (f path) in(sub string, j int) path { return path{base: f.base, i: f.i, rest: sub, j: j} }

func (f path) String() string {
	s := fmt.Sprintf("%s[%d]%s", f.base, f.i, f.rest)
	if f.j >= 0 {
		s += fmt.Sprintf("[%d]", f.j)
	}
	return s
}

// at is the path of field sub of f (apps[1].kind).
func (f path) at(sub string) string { return f.String() + sub }

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// Validate checks s and returns the first problem as a *FieldError.
func (s Spec) Validate() error { return s.validate(nil) }

// validate is Validate, also accepting the event kinds own (those of a scenario being
// registered).
func (s Spec) validate(own KindTable[EventKind]) error {
	if err := s.validateTopology(); err != nil {
		return err
	}
	if len(s.Apps) > MaxApps {
		return fieldErr("apps", "at most %d apps, got %d", MaxApps, len(s.Apps))
	}
	instances, ops := 0, 0
	for i, a := range s.Apps {
		if err := s.validateApp(elem("apps", i), a); err != nil {
			return err
		}
		instances += a.Count
		ops += a.Count * a.Ops // both bounded above: no overflow
	}
	if instances > MaxInstances {
		return fieldErr("apps", "at most %d app instances in all, got %d", MaxInstances, instances)
	}
	if ops > MaxTotalOps {
		return fieldErr("apps", "at most %d operations in all (count × ops summed over apps), got %d", MaxTotalOps, ops)
	}
	if len(s.Events) > MaxEvents {
		return fieldErr("events", "at most %d events, got %d", MaxEvents, len(s.Events))
	}
	for i, e := range s.Events {
		if err := s.validateEvent(elem("events", i), e, own); err != nil {
			return err
		}
	}
	b := s.Budgets
	if b.MaxTimeNs < 0 || b.MaxTimeNs > MaxBudgetNs {
		return fieldErr("budgets.max_time_ns", "must be in [0, %d]", MaxBudgetNs)
	}
	if b.HangTimeoutNs < 0 || b.HangTimeoutNs > MaxBudgetNs {
		return fieldErr("budgets.hang_timeout_ns", "must be in [0, %d]", MaxBudgetNs)
	}
	return nil
}

func (s Spec) validateTopology() error {
	devs := s.Topology.Devices
	if len(devs) == 0 {
		return fieldErr("topology.devices", "must name at least one device")
	}
	if len(devs) > MaxDevices {
		return fieldErr("topology.devices", "at most %d devices, got %d", MaxDevices, len(devs))
	}
	for i, d := range devs {
		f := elem("topology.devices", i)
		if !validName(d.Name) {
			return fieldErr(f.at(".name"), "must be 1-64 characters of a-z 0-9 - _ . :, got %q", d.Name)
		}
		if s.deviceIndex(d.Name) != i {
			return fieldErr(f.at(".name"), "duplicate device %q", d.Name)
		}
		if !validName(d.Driver) {
			return fieldErr(f.at(".driver"), "must be 1-64 characters of a-z 0-9 - _ . :, got %q", d.Driver)
		}
		if d.Policy != "" && !validName(d.Policy) {
			return fieldErr(f.at(".policy"), "must be 1-64 characters of a-z 0-9 - _ . :, got %q", d.Policy)
		}
	}
	return nil
}

// deviceIndex is the index of the first device named name, or -1.
func (s Spec) deviceIndex(name string) int {
	for i, d := range s.Topology.Devices {
		if d.Name == name {
			return i
		}
	}
	return -1
}

func needsPeer(kind AppKind) bool { return kind == AppDmaBufShare || kind == AppPrimeOffload }

func (s Spec) validateApp(f path, a App) error {
	if !AppKinds.Has(a.Kind) {
		return fieldErr(f.at(".kind"), "unknown app kind %q (want one of %v)", a.Kind, AppKinds.Names())
	}
	if s.deviceIndex(a.Device) < 0 {
		return fieldErr(f.at(".device"), "no device %q in topology.devices", a.Device)
	}
	switch {
	case needsPeer(a.Kind) && a.Peer == "":
		return fieldErr(f.at(".peer"), "a %s app needs a peer device", a.Kind)
	case needsPeer(a.Kind) && s.deviceIndex(a.Peer) < 0:
		return fieldErr(f.at(".peer"), "no device %q in topology.devices", a.Peer)
	case needsPeer(a.Kind) && a.Peer == a.Device:
		return fieldErr(f.at(".peer"), "must differ from device %q", a.Device)
	case !needsPeer(a.Kind) && a.Peer != "":
		return fieldErr(f.at(".peer"), "only dma-buf-share and prime-offload apps have a peer")
	}
	if a.Count < 1 {
		return fieldErr(f.at(".count"), "must be >= 1")
	}
	if a.Count > MaxInstances {
		return fieldErr(f.at(".count"), "must be <= %d", MaxInstances)
	}
	if a.Ops < 0 || a.Ops > MaxOps {
		return fieldErr(f.at(".ops"), "must be in [0, %d]", MaxOps)
	}
	if a.IntervalNs < 0 || a.IntervalNs > MaxIntervalNs {
		return fieldErr(f.at(".interval_ns"), "must be in [0, %d]", MaxIntervalNs)
	}
	if len(a.BOs) > MaxBOs {
		return fieldErr(f.at(".bos"), "at most %d BOs, got %d", MaxBOs, len(a.BOs))
	}
	for j, bo := range a.BOs {
		g := f.in(".bos", j)
		if bo.SizeBytes < 1 || bo.SizeBytes > MaxBOBytes {
			return fieldErr(g.at(".size_bytes"), "must be in [1, %d]", MaxBOBytes)
		}
		if bo.Placement != PlaceVRAM && bo.Placement != PlaceGTT && bo.Placement != PlaceSystem {
			return fieldErr(g.at(".placement"), "unknown placement %q (want vram, gtt or system)", bo.Placement)
		}
	}
	return nil
}

func (s Spec) validateEvent(f path, e Event, own KindTable[EventKind]) error {
	if !EventKinds.Has(e.Kind) && !own.Has(e.Kind) && !isDefinedEvent(e.Kind) {
		if def := DefinedEventKinds(); len(def) > 0 {
			return fieldErr(f.at(".kind"), "unknown event kind %q (want one of %v, or one a scenario defines: %v)",
				e.Kind, EventKinds.Names(), def)
		}
		return fieldErr(f.at(".kind"), "unknown event kind %q (want one of %v)", e.Kind, EventKinds.Names())
	}
	if s.deviceIndex(e.Device) < 0 {
		return fieldErr(f.at(".device"), "no device %q in topology.devices", e.Device)
	}
	if e.AtNs < 0 || e.AtNs > MaxAtNs {
		return fieldErr(f.at(".at_ns"), "must be in [0, %d]", MaxAtNs)
	}
	if e.After != nil {
		if e.After.App < 0 || e.After.App >= len(s.Apps) {
			return fieldErr(f.at(".after.app"), "no apps[%d] (there are %d apps)", e.After.App, len(s.Apps))
		}
		if ops := s.Apps[e.After.App].Ops; e.After.Op < 0 || e.After.Op >= ops {
			return fieldErr(f.at(".after.op"), "must be in [0, %d): apps[%d] has %d ops", ops, e.After.App, ops)
		}
	}
	if e.Kind == EvBARResize {
		if sz := e.BARSizeBytes; sz < 1<<20 || sz&(sz-1) != 0 {
			return fieldErr(f.at(".bar_size_bytes"), "must be a power of two >= 1048576")
		}
	} else if e.BARSizeBytes != 0 {
		return fieldErr(f.at(".bar_size_bytes"), "only bar-resize events have a BAR size")
	}
	return nil
}
