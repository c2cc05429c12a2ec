package hdabarmove_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/oracle"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	"hotplugsim/workloads/hdabarmove"
	"hotplugsim/workloads/internal/scenariotest"
)

const sweepSeeds = 2000

func seeds(t *testing.T) uint64 {
	if testing.Short() {
		return 200
	}
	return sweepSeeds
}

// The bug zoo for hda-bar-move: with the default Spec and strategy, every policy passes the
// zoo's rule (properties.ZooRow.Err) over every seed; a buggy policy finds nothing but its
// expected kind, stop-chip's is found by the unsolicited-event work item, and ioctl-rwsem's
// only by it; no seed runs out of budget.
func TestBugZooSweep(t *testing.T) {
	sc := scenariotest.Lookup(t, hdabarmove.Name)
	for _, pol := range sc.Policies {
		t.Run(pol.Name, func(t *testing.T) {
			byProc := map[string]int{}
			row, err := properties.ZooWith(sc, pol, seeds(t), properties.ZooOptions{AllSeeds: true,
				Each: func(seed uint64, o *workloads.Outcome) {
					require.Empty(t, o.Budget, "seed %d ran out of budget", seed)
					if o.Violation != nil {
						byProc[o.Violation.Process]++
					}
				}})
			require.NoError(t, err)
			require.NoError(t, row.Err())
			if !pol.Buggy {
				t.Logf("%s: 0 of %d seeds found a violation", pol.Name, row.Seeds)
				return
			}
			assert.Equal(t, []string{string(pol.Expect)}, slices.Collect(maps.Keys(row.Kinds)), "nothing but the expected kind")
			found, workItem := row.Kinds[string(pol.Expect)], 0
			for proc, n := range byProc {
				if strings.HasPrefix(proc, "kworker/") {
					workItem += n
				}
			}
			switch pol.Name {
			case hda.StopChip:
				assert.Positive(t, workItem, "the unsolicited-event work item never hit the unmapped registers")
			case hda.IoctlRWSem:
				assert.Equal(t, found, workItem, "with ioctls locked only the work item may hit: %v", byProc)
			}
			t.Logf("%s: expect %s: first seed %d, found by %d of %d seeds (first violating process: %v)",
				pol.Name, pol.Expect, row.FirstSeed, found, row.Seeds, byProc)
		})
	}
}

// span is one begin/end pair of the trace.
type span struct {
	begin, end des.Time
	phys       int64 // the BAR's address when the move began
}

// Under quiesce-pcm-ref, playback continues after every move: period interrupts keep coming and the
// player's position advances after rescan_done; and the sweep meets the hazards the policy
// defends against (ioctls issued during a move, unsolicited events deferred by the move).
func TestQuiescePlaybackContinuesAfterMove(t *testing.T) {
	sc := scenariotest.Lookup(t, hdabarmove.Name)
	stalledIoctls, deferred, moved := 0, 0, 0
	for seed := uint64(1); seed <= 100; seed++ {
		var moves []span
		var periods, positions []des.Event
		ioctlInMove := map[int32]bool{}
		inMove := false
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: hda.QuiescePCMRef, Seed: seed, NoTape: true, TraceRing: -1,
			Sink: func(e des.Event) {
				switch e.Kind.String() {
				case "barmove:begin":
					inMove = true
					moves = append(moves, span{begin: e.At, phys: e.A})
				case "barmove:end":
					inMove = false
					moves[len(moves)-1].end = e.At
					if moves[len(moves)-1].phys != e.A {
						moved++
					}
				case "period:end":
					periods = append(periods, e)
				case "pcm-pos":
					positions = append(positions, e)
				case "ioctl:begin":
					ioctlInMove[e.Proc] = inMove
				case "ioctl:end":
					if ioctlInMove[e.Proc] && !inMove {
						stalledIoctls++ // began during the move, ended after it
					}
				case "unsol-deferred":
					deferred++
				}
			}})
		require.NoError(t, err)
		require.True(t, o.Result.OK(), "seed %d: %v", seed, o.Result.Violations)
		require.Len(t, moves, 2, "seed %d", seed)
		for i, m := range moves {
			require.NotZero(t, m.end, "seed %d move %d did not finish", seed, i)
			periodsAfter := 0
			for _, e := range periods {
				if e.At > m.end && e.At <= m.end+des.Time(hda.StallPeriods*hda.DefaultPeriod) {
					periodsAfter++
				}
			}
			var posBefore, posAfter int64 = -1, -1
			for _, e := range positions {
				switch {
				case e.At < m.begin:
					posBefore = e.A
				case posAfter < 0 && e.At > m.end+des.Time(2*hda.DefaultPeriod):
					posAfter = e.A
				}
			}
			assert.Positive(t, periodsAfter, "seed %d move %d: no period interrupt within %d periods after rescan_done",
				seed, i, hda.StallPeriods)
			require.GreaterOrEqual(t, posAfter, int64(0), "seed %d move %d: the player never read its position after the move", seed, i)
			assert.Greater(t, posAfter, posBefore, "seed %d move %d: position did not advance", seed, i)
		}
	}
	t.Logf("quiesce, 100 seeds: %d of 200 moves changed the BAR address, %d ioctls stalled across a move, %d unsolicited events deferred",
		moved, stalledIoctls, deferred)
	assert.Positive(t, moved, "no rescan moved the BAR")
	assert.Positive(t, stalledIoctls, "no ioctl ever met a move: the sweep does not exercise the gate")
	assert.Positive(t, deferred, "no unsolicited event was ever deferred by a move")
}

// wait-close is only a liveness bug: when every app closes in time, the move completes.
func TestWaitCloseCompletesWhenFilesClose(t *testing.T) {
	sc := scenariotest.Lookup(t, hdabarmove.Name)
	spec := sc.Spec.Clone()
	spec.Apps = spec.Apps[:1] // the player only: it closes at ~1 ms, within MoveBound
	spec.Events = spec.Events[1:]
	for seed := uint64(1); seed <= 50; seed++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: hda.WaitClose, Spec: &spec, Seed: seed, NoTape: true})
		require.NoError(t, err)
		require.True(t, o.Result.OK(), "seed %d: %v", seed, o.Result.Violations)
	}
}

func TestRunsAreDeterministic(t *testing.T) {
	scenariotest.RunsRepeatAndReplay(t, scenariotest.Lookup(t, hdabarmove.Name), policy.Names(hda.Policies), 7)
}

func TestSpecChecks(t *testing.T) {
	sc := scenariotest.Lookup(t, hdabarmove.Name)
	spec := sc.Spec.Clone()
	spec.Topology.Devices[0].Driver = "amdgpu"
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `driver "amdgpu"`)

	scenariotest.RejectsBadSpecsOfKind(t, sc, workloads.EvUnplug)
}

// A topology mixing a fixed and a buggy controller: only the buggy one's policy fails.
func TestPerDevicePolicy(t *testing.T) {
	sc := scenariotest.Lookup(t, hdabarmove.Name)
	spec := sc.Spec.Clone()
	spec.Topology.Devices = append(spec.Topology.Devices, workloads.Device{Name: "hda1", Driver: hda.DriverName, Policy: hda.StopChip})
	spec.Apps = append(spec.Apps, workloads.App{Kind: workloads.AppAudio, Device: "hda1", Count: 1, Ops: 40, IntervalNs: 20_000})
	found := 0
	for seed := uint64(1); seed <= 20; seed++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: seed, NoTape: true})
		require.NoError(t, err)
		if o.Violation != nil {
			assert.Equal(t, string(oracle.UseAfterUnmap), o.Kind())
			assert.Contains(t, o.Violation.Message, "0000:04:00.1", "the stop-chip controller")
			found++
		}
	}
	assert.Positive(t, found)
}

// Generated Specs run under the fixed policy without violations.
func TestGeneratedSpecsQuiesce(t *testing.T) {
	scenariotest.GeneratedSpecsRunClean(t, scenariotest.Lookup(t, hdabarmove.Name), 100)
}
