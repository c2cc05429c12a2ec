package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/workloads"
)

const sweepSynopsis = `Run every seed of a range (of one shard of it) in parallel workers and report each failing
run and a summary. Results are the same whatever -j is: runs are committed in seed order.

--out writes a JSONL results file: a header, one line per failing run, checkpoints, and a
summary line that marks it complete. It is resumable: rerunning the same command skips the
seeds already done, and a sweep stopped by Ctrl-C or kill leaves a file whose lines up to the
last checkpoint are whole (the rest is cut on resume). --shard k/n runs the k-th of n
interleaved parts of the range (seeds lo+k-1, lo+k-1+n, ...); 'desrun merge' joins the parts.
--stop-after N stops at the N-th failing seed (in seed order). A progress bar (runs/s, ETA,
violations) is shown when stderr is a terminal.

Failing runs are bucketed by signature: the violation's kind, its first line with what varies
between seeds (times, addresses, trace numbers, instance suffixes) replaced by '*', and the
model function the violating process was in. The summary lists each signature's id, count,
first seed and the command that reproduces it. --keep-runs N (default 10, 0: all) writes run
lines for the first N failing seeds of each signature only; checkpoints count the others, so
resume and merge report the same totals. Without --keep-runs, a resumed file keeps the N it
was written with (a file from before the flag: 0).

--metrics records the model's latency metrics (virtual time) in every run and merges them in
seed order: the summary prints p50 ... max per metric, and with --out the checkpoints and the
summary line carry them ('desrun plot' and 'desrun report' read them).

--cpuprofile, --mutexprofile and --blockprofile write Go profiles of the sweep itself for 'go
tool pprof': where its CPU time goes, which locks its workers contend for, and where they
block (channel hand-offs to the committer included). They do not change any result.

--steer (with pct:D, pct:D:K or mix) lets coverage steer the sweep: seeds run in generations of
--generation seeds; a PCT run that reached a conflicting-operation order or a protocol step no
earlier seed reached joins a corpus, and half the runs of later generations (by a hash of the
seed) mutate a corpus run's schedule (a change point redrawn or moved, or other priorities)
instead of drawing their own. A steered run's strategy is the schedule it ran,
pct:D:K@P/C, so its reproduce line reruns it alone. Every run depends only on its seed and the
generations before it: results are the same for any -j and on resume; a steered sweep cannot
be sharded (a generation needs the whole of the one before).`

// defaultKeepRuns is how many failing runs of each signature get a run line by default.
const defaultKeepRuns = 10

// checkpointEvery is how many committed seeds a batch of result lines holds.
const checkpointEvery = 256

type sweepOpts struct {
	id        ident
	lo, hi    uint64
	k, n      int
	jobs      int
	out       string
	stopAfter uint64
	asJSON    bool
	metrics   bool
	coverage  bool
	keepRuns  int    // run lines for the first keepRuns failing seeds of each signature (0: all)
	steer     uint64 // generation size of coverage steering (0: off)
	// keepRunsSet: --keep-runs was given. Without it, resuming a file written with another
	// --keep-runs (a file from before the flag: 0, every run) keeps the file's.
	keepRunsSet bool
}

func runSweep(args []string, stdout, stderr io.Writer) (int, error) {
	f := newFlags("sweep", "", sweepSynopsis)
	idf := addIdentFlags(f)
	seeds := f.String("seeds", "1:1000", "seed range lo:hi (inclusive)")
	jobs := f.Int("j", 0, "parallel workers (0: GOMAXPROCS, the number of cores)")
	out := f.String("out", "", "write (or resume) a JSONL results file")
	shard := f.String("shard", "", "run shard k of n: k/n")
	stopAfter := f.Uint64("stop-after", 0, "stop after this many failing seeds (0: never)")
	asJSON := f.Bool("json", false, "print JSON: failing runs (unless --out) and the summary")
	withMetrics := f.Bool("metrics", false, "record latency metrics in every run and merge them")
	keepRuns := f.Int("keep-runs", defaultKeepRuns, "write run lines for the first N failing seeds of each signature and count the rest (0: all)")
	withCoverage := f.Bool("coverage", false, "record which conflicting operations, fault sites and protocol steps the runs reached")
	prof := addProfileFlags(f)
	steer := f.Bool("steer", false, "steer PCT by coverage: later generations mutate the schedules of runs that reached new coverage (implies --coverage)")
	generation := f.Int("generation", workloads.DefaultGeneration, "seeds per generation of --steer")
	if _, err := f.parse(args, stdout, 0, 0); err != nil {
		return ExitUsage, err
	}
	var o sweepOpts
	var err error
	if o.id, err = idf.resolve(); err != nil {
		return ExitUsage, err
	}
	if o.lo, o.hi, err = parseSeeds(*seeds); err != nil {
		return ExitUsage, err
	}
	if o.k, o.n, err = parseShard(*shard); err != nil {
		return ExitUsage, err
	}
	if o.jobs, err = parseJobs(*jobs); err != nil {
		return ExitUsage, err
	}
	if *keepRuns < 0 {
		return ExitUsage, fmt.Errorf("bad --keep-runs %d: want >= 0 (0: every failing run)", *keepRuns)
	}
	o.out, o.stopAfter, o.asJSON, o.metrics, o.coverage = *out, *stopAfter, *asJSON, *withMetrics, *withCoverage
	o.keepRuns = *keepRuns
	f.Visit(func(fl *flag.Flag) { o.keepRunsSet = o.keepRunsSet || fl.Name == "keep-runs" })
	if o.steer, err = steerOpts(f, o, *steer, *generation); err != nil {
		return ExitUsage, err
	}
	o.coverage = o.coverage || o.steer > 0
	stopProf, err := prof.start()
	if err != nil {
		return ExitUsage, err
	}
	code, err := sweep(o, stdout, stderr)
	if perr := stopProf(); perr != nil && err == nil {
		return ExitUsage, perr
	}
	return code, err
}

// maxJobs bounds -j: every worker keeps a pool of coroutine stacks, and more workers than
// cores only cost memory.
const maxJobs = 256

// parseJobs checks -j: 0 is GOMAXPROCS.
func parseJobs(j int) (int, error) {
	if j < 0 || j > maxJobs {
		return 0, fmt.Errorf("bad -j %d: want 1 to %d, or 0 for GOMAXPROCS", j, maxJobs)
	}
	if j == 0 {
		return min(runtime.GOMAXPROCS(0), maxJobs), nil
	}
	return j, nil
}

// count is the number of seeds in the shard; seed maps an index to its seed.
func (o sweepOpts) count() uint64 {
	span, off := o.hi-o.lo, uint64(o.k-1)
	if off > span {
		return 0
	}
	return (span-off)/uint64(o.n) + 1
}

func (o sweepOpts) seed(i uint64) uint64 { return o.lo + uint64(o.k-1) + i*uint64(o.n) }

func (o sweepOpts) header() header {
	h := header{Type: "header", Format: resultsFormat, Version: resultsVersion, ToolVersion: toolVersion(), Scenario: o.id.sc.Name,
		Policy: o.id.policy, Strategy: o.id.strategy, Seeds: fmt.Sprintf("%d:%d", o.lo, o.hi),
		Shard: fmt.Sprintf("%d/%d", o.k, o.n), StopAfter: int(o.stopAfter), SpecHash: o.id.specOf().Hash(),
		Metrics: o.metrics, Coverage: o.coverage, KeepRuns: o.keepRuns, Steer: o.steer}
	if o.id.spec != nil && !o.id.spec.Equal(o.id.sc.Spec) {
		h.Spec = o.id.spec
	}
	return h
}

// sweepState is what the collector commits to.
type sweepState struct {
	o       sweepOpts
	tot     totals
	next    uint64 // next index to commit
	file    *os.File
	batch   bytes.Buffer
	inBatch int
	first   *runLine
	stdout  io.Writer
	delta   *metrics.Recorder   // metrics since the last checkpoint (nil: --metrics off)
	total   *metrics.Recorder   // metrics of every committed seed
	cov     *workloads.Coverage // coverage of every committed seed (nil: --coverage off)
	covNew  *workloads.Coverage // what the seeds since the last checkpoint added
	covLast *uint64             // the last seed that added coverage
	merged  bool                // reporting a merge: runs/s is the shards'
	sigs    sigTable            // signatures of the committed failing runs
	dropped []sigDropped        // failing runs since the last checkpoint without a run line
	// corpus holds the runs that joined the steering corpus (--steer), in seed order;
	// corpusNew those since the last checkpoint.
	corpus, corpusNew []workloads.CorpusEntry
}

func sweep(o sweepOpts, stdout, stderr io.Writer) (int, error) {
	st := &sweepState{o: o, stdout: stdout}
	if o.metrics {
		st.total = metrics.NewRecorder()
		if o.out != "" {
			st.delta = metrics.NewRecorder()
		}
	}
	if o.coverage {
		st.cov, st.covNew = workloads.NewCoverage(), workloads.NewCoverage()
	}
	if o.out != "" {
		done, code, err := st.openOut()
		if err != nil || done {
			return code, err
		}
		defer st.file.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer sweepGC(o.jobs)()
	start := time.Now() // wall clock: runs/s and the progress bar only
	startIdx := st.next
	interrupted, stopped, err := st.loop(ctx, stderr)
	if err != nil {
		return ExitUsage, err
	}
	elapsed := time.Since(start).Seconds()
	if err := st.flush(); err != nil {
		return ExitUsage, err
	}
	sum := summary{Type: "summary", totals: st.tot, Scenario: o.id.sc.Name, Policy: o.id.policy,
		Strategy: o.id.strategy, Seeds: fmt.Sprintf("%d:%d", o.lo, o.hi), Stopped: stopped,
		ToolVersion: toolVersion()}
	if o.n > 1 {
		sum.Shard = fmt.Sprintf("%d/%d", o.k, o.n)
	}
	if sum.Kinds == nil {
		sum.Kinds = map[string]int{}
	}
	sum.Metrics = st.total
	sum.Signatures = st.sigs.list
	if st.cov != nil {
		sum.Coverage = newCoverageJSON(st.cov, st.covLast)
	}
	if o.steer > 0 {
		sum.Corpus = len(st.corpus)
	}
	if elapsed > 0 {
		sum.RunsPerSec = float64(st.next-startIdx) / elapsed
	}
	if interrupted {
		// What ran is reported (the violations found so far are not lost), but the file gets no
		// summary: it stays resumable.
		sum.Interrupted = true
		st.report(sum)
		msg := fmt.Sprintf("interrupted after %d of %d seeds", st.next, o.count())
		if o.out != "" {
			if err := st.file.Sync(); err != nil {
				return ExitUsage, fmt.Errorf("cannot write %s: %w", o.out, err)
			}
			msg += fmt.Sprintf("; %s is consistent: rerun the same command to resume", o.out)
		}
		return ExitInterrupted, errors.New(msg)
	}
	if st.file != nil {
		if err := appendLines(st.file, sum); err != nil {
			return ExitUsage, fmt.Errorf("cannot write %s: %w", o.out, err)
		}
		if err := st.file.Sync(); err != nil {
			return ExitUsage, fmt.Errorf("cannot write %s: %w", o.out, err)
		}
	}
	st.report(sum)
	return sumExit(sum), nil
}

func sumExit(s summary) int {
	if s.Violations > 0 {
		return ExitViolation
	}
	return ExitPass
}

// errLocked: another process holds the lock on a results file.
var errLocked = errors.New("locked")

// openOut creates the results file or resumes it. done is true when the file already holds
// the complete sweep (its summary is printed again). The file is locked for as long as the
// sweep writes it: a second sweep on the same --out is refused rather than interleaved.
func (st *sweepState) openOut() (done bool, code int, err error) {
	o := st.o
	h := o.header()
	target, kind, _, err := classifyOut(o.out)
	if err != nil {
		return true, ExitUsage, err
	}
	if kind == outInPlace {
		return true, ExitUsage, fmt.Errorf("%s is not a regular file: --out needs a file it can read back to resume", o.out)
	}
	if err := sameFile(o.out, o.id.specPath); err != nil {
		return true, ExitUsage, err
	}
	f, err := os.OpenFile(target, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return true, ExitUsage, fmt.Errorf("cannot write %s: %w", o.out, unwrapPath(err))
	}
	keepFile := false
	defer func() {
		if !keepFile {
			f.Close()
			if kind == outNew {
				os.Remove(target)
			}
		}
	}()
	if err := lockFile(f); err != nil {
		if errors.Is(err, errLocked) {
			return true, ExitUsage, fmt.Errorf("%s is being written by another desrun (it holds the file's lock): wait for it, or use another --out", o.out)
		}
		return true, ExitUsage, fmt.Errorf("cannot lock %s: %w", o.out, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return true, ExitUsage, fmt.Errorf("cannot read %s: %w", o.out, err)
	}
	var keep int64
	if len(b) > 0 && !interruptedHeader(b, h) {
		var done bool
		if done, code, keep, err = st.resume(b, h); done || err != nil {
			return true, code, err
		}
		h.KeepRuns = st.o.keepRuns
	}
	if err := f.Truncate(keep); err != nil {
		return true, ExitUsage, fmt.Errorf("cannot resume %s: %w", o.out, err)
	}
	if _, err := f.Seek(keep, io.SeekStart); err != nil {
		return true, ExitUsage, fmt.Errorf("cannot resume %s: %w", o.out, err)
	}
	if keep == 0 {
		if err := appendLines(f, h); err != nil {
			return true, ExitUsage, fmt.Errorf("cannot write %s: %w", o.out, err)
		}
	}
	st.file, keepFile = f, true
	return false, 0, nil
}

// resume reads the results file b of the sweep h: the state it holds is the sweep's, and keep
// is the length of its whole part. done is true when it holds the complete sweep (its summary
// is printed again, code is the exit code).
func (st *sweepState) resume(b []byte, h header) (done bool, code int, keep int64, err error) {
	o := st.o
	rf, err := parseResults(b)
	if errors.Is(err, errNotResults) {
		return true, ExitUsage, 0, fmt.Errorf("%s: not a desrun results file; refusing to overwrite it", o.out)
	}
	if err != nil {
		return true, ExitUsage, 0, fmt.Errorf("%s: %w", o.out, err)
	}
	if err := st.resumable(rf.header, h); err != nil {
		return true, ExitUsage, 0, err
	}
	if len(rf.runs) > 0 {
		st.first = &rf.runs[0]
	}
	if st.sigs, err = tableOf(rf.runs, rf.dropped); err != nil {
		return true, ExitUsage, 0, fmt.Errorf("%s: %w", o.out, err)
	}
	if rf.summary != nil {
		st.report(*rf.summary)
		return true, sumExit(*rf.summary), 0, nil
	}
	if rf.last != nil {
		st.tot, st.next = rf.last.totals, rf.last.Next
	}
	if st.total != nil && rf.metrics != nil {
		st.total = rf.metrics
	}
	if st.cov != nil && rf.cov != nil {
		st.cov, st.covLast = rf.cov, rf.covLast
	}
	st.corpus = rf.corpus
	return false, 0, rf.keep, nil
}

// resumable checks that the file's header old is the sweep's own, h. A file written with
// another --keep-runs (one from before the flag has 0: every run) is resumed with the file's
// when --keep-runs was not given; when it was, the error names the flag to give.
func (st *sweepState) resumable(old, h header) error {
	h.KeepRuns = old.KeepRuns
	switch {
	case !old.sameSweep(h):
		return fmt.Errorf("%s holds another sweep (%s); use another --out", st.o.out, old.describe())
	case old.KeepRuns != st.o.keepRuns && st.o.keepRunsSet:
		return fmt.Errorf("%s was written with --keep-runs %d (0: every run): rerun with --keep-runs %d to resume it, or use another --out",
			st.o.out, old.KeepRuns, old.KeepRuns)
	}
	st.o.keepRuns = old.KeepRuns
	return nil
}

// interruptedHeader reports whether b, the content of the output file, is only a part of the
// header this sweep writes (a sweep killed while writing it): then it starts afresh.
func interruptedHeader(b []byte, h header) bool {
	if bytes.IndexByte(b, '\n') >= 0 {
		return false
	}
	want, _ := json.Marshal(h)
	return bytes.HasPrefix(want, b)
}

// batchSize is how many consecutive seeds a worker takes at once: runs are short, and one
// channel hand-off per run would cost more than the run.
const batchSize = 32

// sweepBatch is the result of seeds [idx, idx+n) of the shard: the outcomes of the failing
// runs among them, in order (passing runs only count).
type sweepBatch struct {
	idx     uint64
	n       uint64
	want    uint64 // n as dispatched: a batch cut short by cancellation has fewer
	fail    []*workloads.Outcome
	sigs    []workloads.Signature // of each failing run
	ended   []uint64              // seeds of the passing runs a budget cut short
	recs    []*metrics.Recorder   // per seed, with --metrics
	covs    []*workloads.Coverage // per seed, with --coverage
	pcts    []string              // per seed, with --steer: the PCT schedule run ("" if none)
	steered []bool                // per seed, with --steer: it mutated a corpus schedule
	// corpus is what the batch's generation steers from (--steer).
	corpus []workloads.CorpusEntry
	noCP   []uint64 // seeds whose PCT change points all fell outside the run
	err    error
}

// loop runs the seeds from st.next on in parallel and commits them in order.
func (st *sweepState) loop(ctx context.Context, stderr io.Writer) (interrupted, stopped bool, err error) {
	o := st.o
	count := o.count()
	if st.next >= count || (o.stopAfter > 0 && st.tot.Violations >= o.stopAfter) {
		return false, o.stopAfter > 0 && st.tot.Violations >= o.stopAfter, nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := make(chan struct{}, 4*o.jobs+8) // bounds batches waiting to be committed
	jobs := make(chan sweepBatch, o.jobs)
	results := make(chan sweepBatch, o.jobs)
	gens := make(chan []workloads.CorpusEntry, 1) // the corpus of each next generation (--steer)
	var corpus []workloads.CorpusEntry
	if o.steer > 0 {
		corpus = st.visible(st.next - st.next%o.steer) // a resume may start inside a generation
	}
	go st.dispatch(runCtx, st.next, corpus, window, jobs, gens)
	var wg sync.WaitGroup
	for range o.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool := des.NewPool(0) // this worker's coroutines, reused run after run
			defer pool.Close()
			for b := range jobs {
				st.runBatch(runCtx, &b, pool)
				results <- b
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	bar := newProgress(stderr, count, st.next)
	pending := map[uint64]sweepBatch{}
	cut := false
	for r := range results {
		pending[r.idx] = r
		for !stopped && !cut && err == nil {
			b, ok := pending[st.next]
			if !ok {
				break
			}
			delete(pending, st.next)
			<-window
			stopped, cut, err = st.commitBatch(b, bar)
			if stopped || cut || err != nil {
				cancel()
			} else if o.steer > 0 && st.next%o.steer == 0 && st.next < count {
				gens <- st.visible(st.next) // the producer waits for it: never blocks
			}
		}
	}
	bar.finish()
	interrupted = ctx.Err() != nil && !stopped && st.next < count
	return interrupted, stopped, err
}

// dispatch hands the batches from index start on to the workers, at most len(window) ahead
// of the commits. It reads nothing of st that the collector changes meanwhile (st.next,
// st.corpus). With --steer a batch never crosses a generation's end, the first generation
// steers from corpus and each later one waits for its corpus from gens.
func (st *sweepState) dispatch(ctx context.Context, start uint64, corpus []workloads.CorpusEntry, window chan struct{},
	jobs chan<- sweepBatch, gens <-chan []workloads.CorpusEntry) {
	defer close(jobs)
	o, count := st.o, st.o.count()
	for i := start; i < count; {
		if o.steer > 0 && i%o.steer == 0 && i > start {
			select {
			case <-ctx.Done():
				return
			case corpus = <-gens:
			}
		}
		select {
		case <-ctx.Done():
			return
		case window <- struct{}{}:
		}
		n := min(batchSize, count-i)
		if o.steer > 0 {
			n = min(n, o.steer-i%o.steer)
		}
		select {
		case <-ctx.Done():
			return
		case jobs <- sweepBatch{idx: i, n: n, want: n, corpus: corpus}:
		}
		if count-i <= n {
			break // i += n could wrap on a range of 2^64-1 seeds
		}
		i += n
	}
}

// runBatch runs the seeds of b; a cancelled context cuts it short (b.n shrinks).
func (st *sweepState) runBatch(ctx context.Context, b *sweepBatch, pool *des.Pool) {
	for k := uint64(0); k < b.n; k++ {
		if ctx.Err() != nil {
			b.n = k
			return
		}
		cfg := st.o.id.config(st.o.seed(b.idx + k))
		cfg.NoTape, cfg.TraceRing, cfg.Pool = true, -1, pool
		if st.o.steer > 0 {
			cfg.Strategy = workloads.SteerStrategy(cfg.Strategy, cfg.Seed, b.corpus)
		}
		if st.o.metrics {
			cfg.Metrics = metrics.NewRecorder()
		}
		if st.o.coverage {
			cfg.Coverage = workloads.NewCoverage()
		}
		out, err := workloads.Run(cfg)
		if err != nil {
			b.n, b.err = k, err
			return
		}
		b.recs = append(b.recs, cfg.Metrics)
		b.covs = append(b.covs, cfg.Coverage)
		if st.o.steer > 0 {
			b.pcts = append(b.pcts, out.Result.PCT.String())
			b.steered = append(b.steered, cfg.Strategy != st.o.id.strategy)
		}
		if out.Depth >= 2 && out.ChangePoints == 0 {
			b.noCP = append(b.noCP, out.Seed)
		}
		out.Metrics = nil // the sweep's metrics go to the checkpoints, not the run lines
		if v := out.Result.First(); v != nil {
			// The engine records the violating process's function without the trace ring.
			sig := workloads.SignatureOf(*v)
			b.sigs = append(b.sigs, sig)
			out.Result = des.Result{} // keep only what the results line needs
			b.fail = append(b.fail, out)
		} else if out.Budget != "" {
			b.ended = append(b.ended, out.Seed)
		}
	}
}

// commitBatch commits the runs of b in seed order, stopping at --stop-after. A batch cut
// short by cancellation commits what ran; the commits end there.
func (st *sweepState) commitBatch(b sweepBatch, bar *progress) (stopped, cut bool, err error) {
	fails, sigs, ended, noCP := b.fail, b.sigs, b.ended, b.noCP
	for k := uint64(0); k < b.n; k++ {
		seed := st.o.seed(b.idx + k)
		var out *workloads.Outcome
		var sig *workloads.Signature
		if len(fails) > 0 && fails[0].Seed == seed {
			out, sig, fails, sigs = fails[0], &sigs[0], fails[1:], sigs[1:]
		}
		cut := len(ended) > 0 && ended[0] == seed
		if cut {
			ended = ended[1:]
		}
		var rec *metrics.Recorder
		if int(k) < len(b.recs) {
			rec = b.recs[k]
		}
		if len(noCP) > 0 && noCP[0] == seed {
			noCP = noCP[1:]
			st.tot.NoChangePoint++
		}
		if int(k) < len(b.covs) && b.covs[k] != nil {
			if int(k) < len(b.pcts) {
				st.steerCommit(seed, b.pcts[k], b.steered[k], b.covs[k])
			}
			st.addCoverage(seed, b.covs[k])
		}
		if err := st.commit(seed, out, sig, rec, cut); err != nil {
			return false, false, err
		}
		bar.step(st.tot.Violations)
		if st.o.stopAfter > 0 && st.tot.Violations >= st.o.stopAfter {
			return true, false, nil
		}
	}
	if b.err != nil {
		return false, false, b.err
	}
	// A batch cut short by cancellation: nothing after it can be committed.
	return false, b.n < b.want && st.next < st.o.count(), nil
}

// commit adds one run, in seed order, and writes a batch at every checkpoint.
func (st *sweepState) commit(seed uint64, o *workloads.Outcome, sig *workloads.Signature, rec *metrics.Recorder, ended bool) error {
	st.tot.add(seed, o, ended)
	if st.total != nil && rec != nil {
		st.total.Merge(rec)
		if st.delta != nil {
			st.delta.Merge(rec)
		}
	}
	st.next++
	if o != nil {
		line := runLine{Type: "run", Outcome: o, Reproduce: o.Command(st.o.id.specPath), Signature: sig}
		if !st.sigs.keeps(line.signature(), st.o.keepRuns) {
			st.drop(line.signature())
			return st.endCommit()
		}
		st.sigs.add(line)
		if st.first == nil {
			st.first = &line
		}
		if st.file != nil {
			b, _ := json.Marshal(line)
			st.batch.Write(b)
			st.batch.WriteByte('\n')
		} else if st.o.asJSON {
			if err := appendLines(st.stdout, line); err != nil {
				return err
			}
		}
	}
	return st.endCommit()
}

func (st *sweepState) endCommit() error {
	st.inBatch++
	if st.inBatch >= checkpointEvery {
		return st.flush()
	}
	return nil
}

// drop counts a failing run of s that gets no run line.
func (st *sweepState) drop(s workloads.Signature) {
	st.sigs.drop(s, 1) // s has its first seed's line
	for i := range st.dropped {
		if st.dropped[i].Signature == s {
			st.dropped[i].N++
			return
		}
	}
	st.dropped = append(st.dropped, sigDropped{Signature: s, N: 1})
	slices.SortStableFunc(st.dropped, func(a, b sigDropped) int {
		return st.sigs.at[a.Signature] - st.sigs.at[b.Signature]
	})
}

// flush writes the batch and its checkpoint with one write call.
func (st *sweepState) flush() error {
	if st.file == nil || st.inBatch == 0 {
		return nil
	}
	cp := checkpoint{Type: "checkpoint", Next: st.next, totals: st.tot, Dropped: st.dropped}
	st.dropped = nil
	if st.delta != nil && len(st.delta.Names()) > 0 {
		cp.Metrics = st.delta
	}
	if st.covNew != nil {
		cp.Coverage = newCoverageJSON(st.covNew, st.covLast)
		st.covNew = workloads.NewCoverage()
	}
	cp.Corpus, st.corpusNew = st.corpusNew, nil
	b, _ := json.Marshal(cp)
	st.batch.Write(b)
	st.batch.WriteByte('\n')
	_, err := st.file.Write(st.batch.Bytes())
	st.batch.Reset()
	st.inBatch = 0
	if st.delta != nil {
		st.delta = metrics.NewRecorder()
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", st.o.out, err)
	}
	return nil
}

func (st *sweepState) report(sum summary) {
	w := st.stdout
	if st.o.asJSON {
		appendLines(w, sum)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\n", sum.Scenario)
	fmt.Fprintf(tw, "policy\t%s\n", sum.Policy)
	fmt.Fprintf(tw, "strategy\t%s\n", sum.Strategy)
	seeds := sum.Seeds
	if sum.Shard != "" {
		seeds += " shard " + sum.Shard
	}
	fmt.Fprintf(tw, "seeds\t%s\n", seeds)
	fmt.Fprintf(tw, "runs\t%d\n", sum.Runs)
	fmt.Fprintf(tw, "violations\t%d%s\n", sum.Violations, kindsText(sum.Kinds))
	fmt.Fprintf(tw, "budget\t%s\n", budgetText(sum.totals))
	if sum.NoChangePoint > 0 {
		fmt.Fprintf(tw, "pct\t%d runs had no change point inside (PCT was only a priority order there)\n", sum.NoChangePoint)
	}
	if c := sum.Coverage; c != nil {
		fmt.Fprintf(tw, "coverage\t%s\n", c.text())
	}
	if st.o.steer > 0 {
		fmt.Fprintf(tw, "steer\tgenerations of %d seeds; %d runs steered from a corpus of %d schedules\n", st.o.steer, sum.Steered, sum.Corpus)
	}
	if sum.Interrupted {
		fmt.Fprintf(tw, "interrupted\tafter %d runs: the summary is of those\n", sum.Runs)
	}
	if sum.Stopped {
		fmt.Fprintf(tw, "stopped\tafter %d failing seeds (--stop-after)\n", sum.Violations)
	}
	if f := st.first; f != nil && f.Violation != nil {
		v := f.Violation
		fmt.Fprintf(tw, "first\tseed %d: %s at %v in %s: %s\n", f.Seed, v.Kind, des.Duration(v.TimeNs), v.Process, v.Message)
		fmt.Fprintf(tw, "reproduce\t%s\n", f.Reproduce)
		if r := reduceLine(f.Reproduce); r != "" {
			fmt.Fprintf(tw, "to reduce\t%s\n", r)
		}
	}
	if st.merged {
		fmt.Fprintf(tw, "runs/s\t%.0f (the shards' sweeps: their runs over their summed time)\n", sum.RunsPerSec)
	} else {
		fmt.Fprintf(tw, "runs/s\t%.0f\n", sum.RunsPerSec)
	}
	tw.Flush()
	printSignatures(w, sum.Signatures)
	if sum.Metrics != nil {
		printMetrics(w, sum.Metrics)
	}
}

// printSignatures prints the signatures table, then the command that reproduces each one's
// first seed.
func printSignatures(w io.Writer, sigs []sigSummary) {
	if len(sigs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nsignatures (%d)\n", len(sigs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  id\tcount\tfirst seed\tkind\tin\ttitle")
	for _, s := range sigs {
		fn := s.Func
		if fn == "" {
			fn = "-"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\t%s\n", s.ID, s.Count, s.FirstSeed, s.Kind, fn, s.Title)
	}
	tw.Flush()
	for _, s := range sigs {
		fmt.Fprintf(w, "  %s  %s\n", s.ID, s.Reproduce)
	}
}

// budgetText says how many runs a budget cut short, and what that means when any did.
func budgetText(t totals) string {
	if t.BudgetEnded == 0 {
		return "0 runs cut short"
	}
	return fmt.Sprintf("%d runs cut short by the Spec's budget (max_events or max_time_ns) without a violation: not run to the end, so not passes (%d passed)",
		t.BudgetEnded, t.Runs-t.Violations-t.BudgetEnded)
}

func kindsText(kinds map[string]int) string {
	if len(kinds) == 0 {
		return ""
	}
	b, _ := json.Marshal(kinds) // sorted keys
	return " " + string(b)
}
