package mm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/mm"
)

// waitRetryOps drops mmap_lock and waits wait on the first attempt (VM_FAULT_RETRY), then maps
// the page; with move set, the wait is a BAR move in progress.
type waitRetryOps struct {
	page *mm.Page
	wait des.Duration
	move bool
}

func (o *waitRetryOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	if vmf.AllowRetryFirst() {
		vmf.MmapReadUnlock(p)
		if o.move {
			metrics.BeginMove(p.Sim())
		}
		p.Sleep(o.wait)
		if o.move {
			metrics.EndMove(p.Sim())
		}
		return mm.VMFaultRetry
	}
	p.Sleep(des.Microsecond)
	return vmf.VMA.InsertPage(p, vmf.Address, o.page)
}

func faultMetrics(t *testing.T, ops func(sim *des.Sim) mm.VMOps) *metrics.Recorder {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{})
	o := ops(sim)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mapping, 0, 2, o, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Addr(0)))
		require.NoError(t, app.Read(p, vma.Addr(0))) // the PTE is there: no fault
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	return rec
}

// fault covers the whole fault, RETRY rounds included; fault-retry each round.
func TestFaultLatencyIncludesRetries(t *testing.T) {
	rec := faultMetrics(t, func(sim *des.Sim) mm.VMOps {
		return &waitRetryOps{page: mm.AllocPage(sim, nil, "pg"), wait: 5 * des.Microsecond}
	})
	assert.Equal(t, []string{metrics.Fault, metrics.FaultRetry}, rec.Names())
	assert.Equal(t, []metrics.Bucket{{Value: 6 * des.Microsecond, Count: 1}}, rec.Histogram(metrics.Fault).Buckets())
	assert.Equal(t, []metrics.Bucket{{Value: 5 * des.Microsecond, Count: 1}}, rec.Histogram(metrics.FaultRetry).Buckets())
}

// A RETRY while a BAR move is in progress blocks the app: barmove-blocked from the blocked
// attempt's entry to the fault's resolution.
func TestFaultRetriedDuringABARMoveIsBlockedTime(t *testing.T) {
	rec := faultMetrics(t, func(sim *des.Sim) mm.VMOps {
		return &waitRetryOps{page: mm.AllocPage(sim, nil, "pg"), wait: 5 * des.Microsecond, move: true}
	})
	assert.Equal(t, []string{metrics.BarMoveBlocked, metrics.Fault, metrics.FaultRetry}, rec.Names())
	assert.Equal(t, []metrics.Bucket{{Value: 6 * des.Microsecond, Count: 1}}, rec.Histogram(metrics.BarMoveBlocked).Buckets())
}

// A SIGBUS ends the fault too; a fault that never retried has no retry rounds.
func TestSIGBUSFaultIsTimed(t *testing.T) {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mapping, 0, 1, resultOps{mm.VMFaultSIGBUS}, nil)
		require.NoError(t, err)
		require.ErrorIs(t, app.Read(p, vma.Addr(0)), mm.ErrSIGBUS)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{metrics.Fault}, rec.Names())
	assert.Equal(t, uint64(1), rec.Histogram(metrics.Fault).Count())
}
