package cli

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
)

// A results file is trusted by resume, merge, replay, report and plot only if it agrees with
// itself: every run line is a failing run of a seed of the header's range and shard(s), in
// increasing seed order and each seed once, of the header's scenario, policy, strategy and
// Spec; every checkpoint counts exactly the run lines above it and the seeds before its
// "next"; the summary repeats the last checkpoint and, unless --stop-after ended the sweep,
// covers every seed. An edited, relabelled, overlapping or truncated-and-patched file is
// refused with the first contradiction.

// seedSet is the seeds of a results file: lo..hi, those of shards ks of n.
type seedSet struct {
	lo, hi uint64
	n      uint64
	ks     []int // 1-based, sorted
}

func (s seedSet) has(seed uint64) bool {
	if seed < s.lo || seed > s.hi {
		return false
	}
	k := int((seed-s.lo)%s.n) + 1
	_, found := slices.BinarySearch(s.ks, k)
	return found
}

// count is how many seeds the set holds.
func (s seedSet) count() uint64 {
	var c uint64
	for _, k := range s.ks {
		c += sweepOpts{lo: s.lo, hi: s.hi, k: k, n: int(s.n)}.count()
	}
	return c
}

// seeds says which seeds the header's file holds.
func (h header) seeds() (seedSet, error) {
	lo, hi, err := parseSeeds(h.Seeds)
	if err != nil {
		return seedSet{}, err
	}
	k, n, err := parseShard(h.Shard)
	if err != nil {
		return seedSet{}, err
	}
	s := seedSet{lo: lo, hi: hi, n: uint64(n), ks: []int{k}}
	if len(h.Shards) > 0 {
		if k != 1 {
			return seedSet{}, fmt.Errorf("header: a merge of shards says shard 1/%d, not %s", n, h.Shard)
		}
		if !slices.IsSorted(h.Shards) || len(slices.Compact(slices.Clone(h.Shards))) != len(h.Shards) ||
			h.Shards[0] < 1 || h.Shards[len(h.Shards)-1] > n || len(h.Shards) == n {
			return seedSet{}, fmt.Errorf("header: shards %v of %d", h.Shards, n)
		}
		s.ks = h.Shards
	}
	return s, nil
}

// merged reports whether the file is a merge of shard files: one checkpoint for all, no seed
// order across shards to check against "next", and --stop-after applied per shard. (Files
// merged before the header said so are recognised by their shards, or by a stopped summary
// with a single checkpoint.)
func (rf *resultsFile) merged() bool {
	h := rf.header
	return h.Merged || len(h.Shards) > 0 || (rf.summary != nil && rf.summary.Stopped && h.Shard == "1/1" && len(rf.cps) == 1)
}

func (rf *resultsFile) verify() error {
	h := rf.header
	set, err := h.seeds()
	if err != nil {
		return err
	}
	if h.StopAfter < 0 {
		return fmt.Errorf("header: stop_after %d", h.StopAfter)
	}
	if h.Spec != nil && h.Spec.Hash() != h.SpecHash {
		return fmt.Errorf("header: spec_hash %s, but its spec hashes to %s", h.SpecHash, h.Spec.Hash())
	}
	// Run lines.
	for i, r := range rf.runs {
		line := rf.runAt[i]
		switch {
		case r.Violation == nil:
			return fmt.Errorf("line %d: a run line without a violation", line)
		case !set.has(r.Seed):
			return fmt.Errorf("line %d: seed %d is not one of the file's seeds (%s, shard %s)", line, r.Seed, h.Seeds, shardText(h))
		case i > 0 && r.Seed <= rf.runs[i-1].Seed:
			return fmt.Errorf("line %d: seed %d after seed %d: run lines must be in increasing seed order, each seed once", line, r.Seed, rf.runs[i-1].Seed)
		case r.Scenario != h.Scenario || r.Policy != h.Policy || !h.ranStrategy(r.Strategy) || r.SpecHash != h.SpecHash:
			return fmt.Errorf("line %d: a run of %s/%s/%s spec %s in a sweep of %s/%s/%s spec %s", line, r.Scenario, r.Policy,
				r.Strategy, r.SpecHash, h.Scenario, h.Policy, h.Strategy, h.SpecHash)
		}
	}
	// Checkpoints: each counts the run lines above it, and (but in a merge) the seeds before next.
	total := set.count()
	merged := rf.merged()
	var prev *cpAt
	for i := range rf.cps {
		c := &rf.cps[i]
		if err := c.agrees(rf.runs[:c.runs], rf.dropped[:c.dropped], h.KeepRuns); err != nil {
			return fmt.Errorf("line %d: checkpoint: %w", c.line, err)
		}
		switch {
		case c.Runs != c.Next:
			return fmt.Errorf("line %d: checkpoint: %d runs, but next is %d", c.line, c.Runs, c.Next)
		case c.Next > total:
			return fmt.Errorf("line %d: checkpoint: next %d, but the file has %d seeds", c.line, c.Next, total)
		case prev != nil && c.Next <= prev.Next:
			return fmt.Errorf("line %d: checkpoint: next %d after %d", c.line, c.Next, prev.Next)
		}
		if !merged {
			prevNext := uint64(0)
			if prev != nil {
				prevNext = prev.Next
			}
			o := sweepOpts{lo: set.lo, hi: set.hi, k: set.ks[0], n: int(set.n)}
			switch {
			case c.Next-prevNext > checkpointEvery:
				return fmt.Errorf("line %d: checkpoint: next %d is %d seeds past the previous checkpoint; a sweep checkpoints every %d",
					c.line, c.Next, c.Next-prevNext, checkpointEvery)
			case h.StopAfter > 0 && c.Violations > uint64(h.StopAfter):
				return fmt.Errorf("line %d: checkpoint: %d violations, past --stop-after %d", c.line, c.Violations, h.StopAfter)
			case c.runs > 0 && rf.runs[c.runs-1].Seed > o.seed(c.Next-1):
				return fmt.Errorf("line %d: checkpoint: next %d, but the run of seed %d above it is not among the %d seeds before it",
					c.line, c.Next, rf.runs[c.runs-1].Seed, c.Next)
			}
		}
		prev = c
	}
	// The summary.
	s := rf.summary
	if s == nil {
		return nil
	}
	last := rf.cps[len(rf.cps)-1]
	switch {
	case !sameTotals(s.totals, last.totals):
		return fmt.Errorf("summary: its totals (%d runs, %d violations) are not the last checkpoint's (%d, %d)",
			s.Runs, s.Violations, last.Runs, last.Violations)
	case len(rf.runs) != last.runs:
		return fmt.Errorf("summary: run lines after the last checkpoint")
	case s.Scenario != h.Scenario || s.Policy != h.Policy || s.Strategy != h.Strategy || s.Seeds != h.Seeds:
		return fmt.Errorf("summary: of %s/%s/%s seeds %s, the header of %s/%s/%s seeds %s", s.Scenario, s.Policy,
			s.Strategy, s.Seeds, h.Scenario, h.Policy, h.Strategy, h.Seeds)
	case !s.Stopped && s.Runs != total:
		return fmt.Errorf("summary: %d runs, but the file has %d seeds and --stop-after did not stop it", s.Runs, total)
	case s.Stopped && h.StopAfter == 0:
		return fmt.Errorf("summary: stopped, but the sweep has no --stop-after")
	case s.Stopped && !merged && s.Violations != uint64(h.StopAfter):
		return fmt.Errorf("summary: stopped after %d violations, but --stop-after is %d", s.Violations, h.StopAfter)
	case s.Interrupted:
		return fmt.Errorf("summary: of an interrupted sweep")
	}
	if t, err := tableOf(rf.runs, rf.dropped); err != nil || !sameSigs(s.Signatures, t.list) {
		return fmt.Errorf("summary: its signatures are not those of the run lines and checkpoints")
	}
	if rf.metrics != nil || s.Metrics != nil {
		var a, b bytes.Buffer
		if err := s.Metrics.Encode(&a); err != nil {
			return err
		}
		if err := rf.metrics.Encode(&b); err != nil { // nil: no metrics
			return err
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			return fmt.Errorf("summary: its metrics are not the checkpoints' merged")
		}
	}
	return nil
}

// sameSigs compares signature lists as a summary carries them.
func sameSigs(a, b []sigSummary) bool {
	return slices.EqualFunc(a, b, func(x, y sigSummary) bool {
		return x.ID == y.ID && x.Signature == y.Signature && x.Count == y.Count && x.FirstSeed == y.FirstSeed &&
			x.Reproduce == y.Reproduce
	})
}

// agrees checks that the checkpoint's violation counts are those of runs, the run lines above
// it, and of dropped, the failing runs above it without a line: a signature has a dropped run
// only once keep of its runs have lines, and never more than keep lines (keep 0: all lines).
func (c *cpAt) agrees(runs []runLine, dropped []sigDropped, keep int) error {
	kinds := map[string]int{}
	var first *uint64
	for _, r := range runs {
		kinds[r.Violation.Kind]++
		if first == nil {
			s := r.Seed
			first = &s
		}
	}
	t, err := tableOf(runs, dropped)
	if err != nil {
		return err
	}
	lines := uint64(len(runs))
	for _, d := range dropped {
		kinds[d.Kind] += int(d.N)
		lines += d.N
		if keep == 0 || t.list[t.at[d.Signature]].kept != uint64(keep) {
			return fmt.Errorf("dropped runs of signature %s, which has %d run lines (--keep-runs %d)", d.ID(),
				t.list[t.at[d.Signature]].kept, keep)
		}
	}
	for _, sg := range t.list {
		if keep > 0 && sg.kept > uint64(keep) {
			return fmt.Errorf("%d run lines of signature %s, past --keep-runs %d", sg.kept, sg.ID, keep)
		}
	}
	switch {
	case c.Violations != lines:
		return fmt.Errorf("%d violations, but %d run lines and dropped runs above it", c.Violations, lines)
	case c.Violations+c.BudgetEnded > c.Runs:
		return fmt.Errorf("%d violations and %d budget-ended runs of %d runs", c.Violations, c.BudgetEnded, c.Runs)
	case (first == nil) != (c.FirstSeed == nil) || (first != nil && *first != *c.FirstSeed):
		return fmt.Errorf("first_violation_seed is not the first run line's seed")
	case !maps.Equal(kinds, nonZero(c.Kinds)):
		return fmt.Errorf("kinds %v, but the run lines above it have %v", c.Kinds, kinds)
	}
	return nil
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func sameTotals(a, b totals) bool {
	return a.Runs == b.Runs && a.Violations == b.Violations && a.BudgetEnded == b.BudgetEnded &&
		(a.FirstSeed == nil) == (b.FirstSeed == nil) && (a.FirstSeed == nil || *a.FirstSeed == *b.FirstSeed) &&
		maps.Equal(nonZero(a.Kinds), nonZero(b.Kinds))
}

func shardText(h header) string {
	if len(h.Shards) > 0 {
		_, n, _ := parseShard(h.Shard)
		return shardList(h.Shards, n)
	}
	return h.Shard
}
