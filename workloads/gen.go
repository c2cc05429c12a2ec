package workloads

import (
	"slices"

	"github.com/leanovate/gopter"
)

// GenLimits bound the Specs GenSpec makes.
type GenLimits struct {
	MaxApps      int   // app groups, >= 1
	MaxCount     int   // instances per app
	MaxOps       int   // operations per instance
	MaxEvents    int   // platform events, >= 1
	MaxAtNs      int64 // latest absolute event time
	MaxBOs       int   // BOs per app
	MaxIntervalN int64 // longest mean think time
}

// DefaultGenLimits keep generated runs short enough for property runs of a few hundred cases.
var DefaultGenLimits = GenLimits{MaxApps: 4, MaxCount: 3, MaxOps: 20, MaxEvents: 3, MaxAtNs: 100_000,
	MaxBOs: 2, MaxIntervalN: 10_000}

// GenSpec generates Specs for sc: its default topology and budgets, apps and platform events of
// the kinds sc supports, within DefaultGenLimits. Shrinking (ShrinkSpec) drops apps, events and
// BOs, lowers counts and ops, moves events earlier and halves sizes.
func GenSpec(sc *Scenario) gopter.Gen { return GenSpecWithin(sc, DefaultGenLimits) }

// GenSpecWithin is GenSpec with explicit limits.
func GenSpecWithin(sc *Scenario, lim GenLimits) gopter.Gen {
	return func(gp *gopter.GenParameters) *gopter.GenResult {
		for range 100 { // a generated Spec is valid by construction; the loop is a bound
			s := genSpec(gp, sc, lim)
			if sc.CheckSpec(s) == nil {
				return gopter.NewGenResult(s, ShrinkSpec)
			}
		}
		return gopter.NewGenResult(sc.Spec.Clone(), ShrinkSpec)
	}
}

func genSpec(gp *gopter.GenParameters, sc *Scenario, lim GenLimits) Spec {
	r := gp.Rng
	s := Spec{Topology: Topology{Devices: slices.Clone(sc.Spec.Topology.Devices)}, Budgets: sc.Spec.Budgets}
	devs := s.Topology.Devices
	kinds := slices.DeleteFunc(slices.Clone(sc.AppKinds), func(k AppKind) bool { return needsPeer(k) && len(devs) < 2 })
	if len(kinds) > 0 {
		for range 1 + r.Intn(lim.MaxApps) {
			a := App{Kind: kinds[r.Intn(len(kinds))], Count: 1 + r.Intn(lim.MaxCount), Ops: r.Intn(lim.MaxOps + 1)}
			d := r.Intn(len(devs))
			a.Device = devs[d].Name
			if needsPeer(a.Kind) {
				a.Peer = devs[(d+1+r.Intn(len(devs)-1))%len(devs)].Name
			}
			if r.Intn(4) != 0 {
				a.IntervalNs = 1 + r.Int63n(lim.MaxIntervalN)
			}
			for range r.Intn(lim.MaxBOs + 1) {
				places := []string{PlaceVRAM, PlaceGTT, PlaceSystem}
				a.BOs = append(a.BOs, BO{SizeBytes: 4096 << r.Intn(13), Placement: places[r.Intn(3)]})
			}
			s.Apps = append(s.Apps, a)
		}
	}
	if len(sc.EventKinds) > 0 {
		for range 1 + r.Intn(lim.MaxEvents) {
			e := Event{Kind: sc.EventKinds[r.Intn(len(sc.EventKinds))], Device: devs[r.Intn(len(devs))].Name,
				AtNs: r.Int63n(lim.MaxAtNs/1000+1) * 1000}
			if e.Kind == EvBARResize {
				e.BARSizeBytes = 1 << (20 + r.Intn(15))
			}
			if len(s.Apps) > 0 && r.Intn(3) == 0 {
				if app := r.Intn(len(s.Apps)); s.Apps[app].Ops > 0 {
					e.After = &AppEvent{App: app, Op: r.Intn(s.Apps[app].Ops)}
					e.AtNs /= 10
				}
			}
			s.Events = append(s.Events, e)
		}
	}
	return s
}

// ShrinkSpec is the gopter shrinker of Specs: each candidate is a valid Spec smaller than the
// one given in one respect (an app, event or BO fewer; a count or ops lowered; an event made
// earlier or absolute; a BO halved), the biggest steps first.
func ShrinkSpec(v any) gopter.Shrink {
	s := v.(Spec)
	var cands []Spec
	add := func(c Spec) {
		if c.Validate() == nil {
			cands = append(cands, c)
		}
	}
	for i := range s.Apps {
		add(s.withoutApp(i))
	}
	for k := range s.Events {
		c := s.Clone()
		c.Events = slices.Delete(c.Events, k, k+1)
		add(c)
	}
	for i, a := range s.Apps {
		for _, n := range smaller(a.Count, 1) {
			c := s.Clone()
			c.Apps[i].Count = n
			add(c)
		}
		for _, n := range smaller(a.Ops, 0) {
			add(s.withOps(i, n))
		}
		for j, bo := range a.BOs {
			c := s.Clone()
			c.Apps[i].BOs = slices.Delete(c.Apps[i].BOs, j, j+1)
			add(c)
			if bo.SizeBytes > 4096 {
				c := s.Clone()
				c.Apps[i].BOs[j].SizeBytes = max(4096, bo.SizeBytes/2)
				add(c)
			}
		}
		if a.IntervalNs > 0 {
			c := s.Clone()
			c.Apps[i].IntervalNs = a.IntervalNs / 2
			add(c)
		}
	}
	for k, e := range s.Events {
		if e.After != nil {
			c := s.Clone()
			c.Events[k].After = nil
			add(c)
		}
		for _, at := range smaller64(e.AtNs) {
			c := s.Clone()
			c.Events[k].AtNs = at
			add(c)
		}
	}
	i := 0
	return func() (any, bool) {
		if i >= len(cands) {
			return nil, false
		}
		i++
		return cands[i-1], true
	}
}

// smaller lists values between lo and n, closest to lo first: lo, n/2, n-1.
func smaller(n, lo int) []int {
	var out []int
	for _, m := range []int{lo, n / 2, n - 1} {
		if m >= lo && m < n && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func smaller64(n int64) []int64 {
	var out []int64
	for _, m := range []int64{0, n / 2, n - 1000} {
		if m >= 0 && m < n && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// withoutApp drops app i; an event relative to it becomes absolute.
func (s Spec) withoutApp(i int) Spec {
	c := s.Clone()
	c.Apps = slices.Delete(c.Apps, i, i+1)
	for k := range c.Events {
		switch a := c.Events[k].After; {
		case a == nil:
		case a.App == i:
			c.Events[k].After = nil
		case a.App > i:
			a.App--
		}
	}
	return c
}

// withOps sets app i's ops to n; events relative to a later op move to the last one (or
// become absolute).
func (s Spec) withOps(i, n int) Spec {
	c := s.Clone()
	c.Apps[i].Ops = n
	for k := range c.Events {
		if a := c.Events[k].After; a != nil && a.App == i && a.Op >= n {
			if n == 0 {
				c.Events[k].After = nil
			} else {
				a.Op = n - 1
			}
		}
	}
	return c
}
