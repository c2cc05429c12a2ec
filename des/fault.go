package des

// Fault sites.
//
// Model and driver code asks the Sim whether an operation that can fail in the kernel fails
// here: an allocation, a probe step, a DMA map, a firmware load. With Config.Faults off (the
// default) it never does. With it on, each site is switched on for the run with probability
// 1/2 the first time it is reached, and an enabled site fails with probability 1/4 each time
// it is reached: a swarm of sites, as FoundationDB's BUGGIFY does, so that a run exercises a
// few failure paths deeply rather than all of them thinly. Each site draws from a stream of
// its own ("fault:<site>"), so every decision is on the tape, a site reached one extra time
// shifts nothing else, and a shrinker that zeroes a site's values switches it off.

var evFault = L("fault")

type faultSites struct {
	on    []bool // by site index, valid where seen
	seen  []bool
	idx   map[string]int
	sites []string
	fired int
}

// Fault reports whether the operation at site fails in this run (see Config.Faults). p is the
// process asking; a failure is traced.
func (s *Sim) Fault(p *Proc, site string) bool {
	if !s.cfg.Faults {
		return false
	}
	f := &s.faults
	i, ok := f.idx[site]
	if !ok {
		if f.idx == nil {
			f.idx = map[string]int{}
		}
		i = len(f.sites)
		f.idx[site] = i
		f.sites = append(f.sites, site)
		f.on = append(f.on, false)
		f.seen = append(f.seen, false)
	}
	st := s.Stream("fault:" + site)
	if !f.seen[i] {
		f.seen[i] = true
		f.on[i] = st.Float64() >= 0.5 // a zeroed tape value leaves the site off
	}
	if !f.on[i] || st.Float64() < 0.75 {
		return false
	}
	f.fired++
	s.Emit(p, evFault, L(site), int64(f.fired), 0)
	return true
}

// FaultSites returns the sites reached in this run, in the order first reached, and whether
// each was switched on.
func (s *Sim) FaultSites() (sites []string, on []bool) {
	return s.faults.sites, s.faults.on
}

// FaultsFired counts the fault sites that have failed so far in this run: a caller that sees
// an operation fail can tell whether a fault site failed meanwhile (the failure may be the
// injected one, not a finding).
func (s *Sim) FaultsFired() int { return s.faults.fired }
