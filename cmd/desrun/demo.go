package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"hotplugsim/des"
)

const demoSynopsis = `Sweep seeds of a small unplug race on the bare engine: an ioctl task checks an
"unplugged" flag, then touches a register; the unplug path sets the flag and unmaps the
register without waiting for readers (no SRCU). A run where the unmap lands between the
check and the access is a use-after-unmap. fifo never finds it; random, random with
preemption delays, and pct do.`

var (
	evCheck  = des.L("check")
	evAccess = des.L("mmio-read")
	evUnmap  = des.L("iounmap")
	objReg   = des.L("reg:status")
)

// demoProgram builds the race on s.
func demoProgram(s *des.Sim) {
	unplugged, mapped := false, true
	s.Spawn("ioctl", des.Task, func(p *des.Proc) {
		think := p.Sim().Stream("ioctl")
		for i := 0; i < 20 && !unplugged; i++ {
			p.Sleep(think.Between(1, 5) * des.Microsecond)
			p.Point(evCheck, objReg, 0, 0) // if (!drm_dev_enter()) return -ENODEV; (unsynchronised)
			if unplugged {
				return
			}
			p.Point(evAccess, objReg, 0, 0)
			if !mapped {
				p.Sim().Violate(p, "use-after-unmap", objReg, "readl(status) after iounmap")
			}
		}
	})
	s.Spawn("unplug", des.Task, func(p *des.Proc) {
		p.Sleep(p.Sim().Stream("unplug").Between(0, 40) * des.Microsecond)
		unplugged = true
		p.Point(evUnmap, objReg, 0, 0)
		mapped = false
	})
}

type demoResult struct {
	Seed        uint64 `json:"seed"`
	Strategy    string `json:"strategy"`
	Verdict     string `json:"verdict"`
	Kind        string `json:"kind,omitempty"`
	Message     string `json:"message,omitempty"`
	TimeNs      int64  `json:"time_ns"`
	Fingerprint string `json:"fingerprint"`
	Steps       uint64 `json:"steps"`
}

type demoSummary struct {
	Runs             int    `json:"runs"`
	Violations       int    `json:"violations"`
	FirstViolationSd uint64 `json:"first_violation_seed,omitempty"`
	Strategy         string `json:"strategy"`
}

func runDemo(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("demo", demoSynopsis)
	seeds := f.String("seeds", "1:1000", "seed range lo:hi (inclusive)")
	strategy := f.String("strategy", "random:2us", "scheduling strategy: fifo, random, random:<dur>, pct:D[:K]")
	asJSON := f.Bool("json", false, "print one JSON line per violating run and a summary line")
	if err := f.parse(args, stdout); err != nil {
		return 2, err
	}
	lo, hi, err := parseSeeds(*seeds)
	if err != nil {
		return 2, err
	}
	if _, err := des.ParseStrategy(*strategy); err != nil {
		return 2, err
	}
	sum := demoSummary{Strategy: *strategy}
	var first *demoResult
	enc := json.NewEncoder(stdout)
	for seed := lo; seed <= hi; seed++ {
		r := demoRun(seed, *strategy)
		sum.Runs++
		if r.Verdict == "violation" {
			sum.Violations++
			if first == nil {
				first = &r
				sum.FirstViolationSd = seed
			}
			if *asJSON {
				enc.Encode(r)
			}
		}
		if seed == hi {
			break
		}
	}
	if *asJSON {
		enc.Encode(sum)
	} else {
		printDemo(stdout, sum, first)
	}
	if sum.Violations > 0 {
		return 1, nil
	}
	return 0, nil
}

func demoRun(seed uint64, strategy string) demoResult {
	s := des.MustNew(des.Config{Seed: seed, Strategy: strategy})
	demoProgram(s)
	r := s.Run()
	out := demoResult{Seed: seed, Strategy: strategy, Verdict: "pass", TimeNs: int64(r.End),
		Fingerprint: fmt.Sprintf("%016x", r.Fingerprint), Steps: r.K}
	if v := r.First(); v != nil {
		out.Verdict, out.Kind, out.Message, out.TimeNs = "violation", v.Kind, v.Msg, int64(v.At)
	}
	return out
}

func printDemo(w io.Writer, sum demoSummary, first *demoResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "strategy\t%s\n", sum.Strategy)
	fmt.Fprintf(tw, "runs\t%d\n", sum.Runs)
	fmt.Fprintf(tw, "violations\t%d\n", sum.Violations)
	if first != nil {
		fmt.Fprintf(tw, "first\tseed %d: %s at %v: %s\n", first.Seed, first.Kind, des.Time(first.TimeNs), first.Message)
		fmt.Fprintf(tw, "reproduce\tdesrun demo --seeds %d:%d --strategy %s\n", first.Seed, first.Seed, first.Strategy)
	}
	tw.Flush()
}

// parseSeeds parses "lo:hi" (inclusive) or a single seed.
func parseSeeds(s string) (uint64, uint64, error) {
	los, his, isRange := strings.Cut(s, ":")
	if !isRange {
		his = los
	}
	lo, err1 := strconv.ParseUint(los, 10, 64)
	hi, err2 := strconv.ParseUint(his, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad seed range %q: want lo:hi such as 1:1000", s)
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("bad seed range %q: lo > hi", s)
	}
	return lo, hi, nil
}
