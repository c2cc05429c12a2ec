package workloads

import (
	"math/rand/v2"
	"slices"
	"strings"

	"hotplugsim/des"
)

// Coverage-guided steering (desrun sweep --steer) runs seeds in generations of a fixed size.
// Once every run of a generation is done, its runs are taken in seed order: a PCT run that
// reached a conflicting-operation order or a protocol step no earlier seed reached joins the
// corpus with its schedule written out (des.PCTSchedule). A run of the next generation either
// runs its strategy as unsteered (half of them, by a hash of the seed) or mutates the schedule
// of a corpus entry the seed picks: another change point, a change point moved by up to K/8
// steps, or other priorities. Which, and what, comes from the seed's own stream "steer", so a
// run depends only on its seed and the corpus of the generations before its own, never on
// which worker ran what first; and its strategy name is the schedule it ran, so desrun run
// reruns it alone.

// DefaultGeneration is the number of seeds of a steered sweep's generation.
const DefaultGeneration = 256

// MaxCorpus bounds the corpus a generation steers from: the newest entries.
const MaxCorpus = 1024

// CorpusEntry is a run that added coverage: its seed and the PCT schedule it ran.
type CorpusEntry struct {
	Seed     uint64 `json:"seed"`
	Schedule string `json:"schedule"` // des.PCTSchedule's String
}

// AddsOrder reports whether o, one run's coverage, reached a conflicting-operation order or a
// protocol step that c has not: what makes a run a corpus entry.
func (c *Coverage) AddsOrder(o *Coverage) bool {
	for k := range o.Pairs { // order-free: whether any is new
		if !c.Pairs[k] {
			return true
		}
	}
	for k := range o.Steps { // order-free: whether any is new
		if !c.Steps[k] {
			return true
		}
	}
	return false
}

// CanSteer reports whether strategy can be steered: pct:D, pct:D:K or mix (its PCT seeds).
func CanSteer(strategy string) bool {
	if strategy == "mix" {
		return true
	}
	base, rest, _ := strings.Cut(strategy, ":")
	if base != "pct" || strings.Contains(rest, "@") {
		return false
	}
	_, err := des.ParseStrategy(strategy)
	return err == nil
}

// SteerStrategy returns the strategy of seed's run in a sweep of strategy (CanSteer) steered
// by corpus, the entries of the generations before the seed's own, oldest first: strategy
// itself, or a schedule mutated from an entry's (des.PCTSchedule's String).
func SteerStrategy(strategy string, seed uint64, corpus []CorpusEntry) string {
	if len(corpus) == 0 || (strategy == "mix" && des.MixChoice(seed) != "pct:3") {
		return strategy
	}
	r := rand.New(des.StreamPCG(seed, "steer"))
	if r.IntN(2) == 0 {
		return strategy
	}
	ps, err := des.ParsePCTSchedule(corpus[r.IntN(len(corpus))].Schedule)
	if err != nil {
		return strategy // not written by a run: never steer from it
	}
	return mutate(ps, r).String()
}

// mutate returns a neighbour of ps: one change point redrawn or moved, or new priorities.
func mutate(ps des.PCTSchedule, r *rand.Rand) des.PCTSchedule {
	op := 2
	if len(ps.Changes) > 0 {
		op = r.IntN(3)
	}
	if op == 2 {
		ps.Prio = r.Uint64()
		return ps
	}
	cps := append([]uint64(nil), ps.Changes...)
	i, k := r.IntN(len(cps)), uint64(ps.K)
	if op == 0 {
		cps[i] = 1 + r.Uint64N(k)
	} else {
		span := max(k/8, 1)
		delta := 1 + r.Uint64N(span)
		if r.IntN(2) == 0 && cps[i] > delta {
			cps[i] -= delta
		} else {
			cps[i] = min(cps[i]+delta, k)
		}
	}
	slices.Sort(cps)
	ps.Changes = cps
	return ps
}

// Visible returns the entries of corpus (oldest first, each seed's position given by index)
// that a generation starting at position start steers from: those of earlier positions, the
// newest MaxCorpus of them.
func Visible(corpus []CorpusEntry, index func(seed uint64) uint64, start uint64) []CorpusEntry {
	n := 0
	for n < len(corpus) && index(corpus[n].Seed) < start {
		n++
	}
	return corpus[max(0, n-MaxCorpus):n]
}

// Sink returns a trace sink that adds a run's coverage to c (RunConfig.Coverage does this for
// workloads.Run; a program built on des directly sets it as des.Config.Sink).
func (c *Coverage) Sink() func(des.Event) { return newRunCoverage(c).event }
