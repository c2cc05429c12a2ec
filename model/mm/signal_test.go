package mm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
)

// countLock is the default mmap_lock that counts down_read calls and lets one process be
// descheduled just before down_write.
type countLock struct {
	*lock.RWSem
	reads int
	slow  string
}

func newCountLock(sim *des.Sim, slow string) *countLock {
	return &countLock{RWSem: lock.NewRWSem(sim, "&mm->mmap_lock"), slow: slow}
}

func (l *countLock) DownRead(p *des.Proc) { l.reads++; l.RWSem.DownRead(p) }

func (l *countLock) DownWrite(p *des.Proc) {
	if p.Name() == l.slow {
		p.Sleep(5 * des.Microsecond)
	}
	l.RWSem.DownWrite(p)
}

// A fault that dropped mmap_lock for VM_FAULT_RETRY while another thread exited the process
// does not retry: fault_signal_pending ends it (arch/x86/mm/fault.c) without taking
// mmap_lock again.
func TestRetryAfterExitEndsTheFault(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ml := newCountLock(sim, "")
	app := mm.NewMM(sim, "app", mm.Options{MmapLock: ml})
	ops := &retryOps{bar: newBar(), busy: des.NewCompletion(sim, "resv")}
	sim.Spawn("thread1", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mm.NewMapping(sim, "card0"), 0, 1, ops, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, app.Read(p, vma.Start), mm.ErrKilled)
	})
	sim.Spawn("thread2", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		app.Exit(p)
		ops.busy.CompleteAll()
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, ml.reads, "no second mmap_read_lock")
}

// sleepSIGBUSOps holds mmap_lock for a while, then fails the fault.
type sleepSIGBUSOps struct{}

func (sleepSIGBUSOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	p.Sleep(2 * des.Microsecond)
	return mm.VMFaultSIGBUS
}

// A SIGBUS forced on a thread whose process is already exiting is dropped (prepare_signal in
// kernel/signal.c: SIGNAL_GROUP_EXIT), so a NoSIGBUS policy is not violated; a live process
// still gets it (TestNoSIGBUSPolicyReportsASIGBUS).
func TestSIGBUSToAnExitingProcessIsNotDelivered(t *testing.T) {
	sim := des.MustNew(des.Config{})
	app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
	sim.Spawn("thread1", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mm.NewMapping(sim, "card0"), 0, 1, sleepSIGBUSOps{}, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, app.Read(p, vma.Start), mm.ErrKilled)
	})
	sim.Spawn("thread2", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		app.Exit(p) // waits for mmap_lock while thread1 is in the handler
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 0, app.Stats().SIGBUS)
}

// An mmap that waited for mmap_lock while the process exited fails: linking the VMA into
// the dead MM would leave it mapped with nothing left to close it (in the kernel exit_mmap
// runs after the last thread, so it would be closed there).
func TestMmapRacingExitFails(t *testing.T) {
	sim := des.MustNew(des.Config{})
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{MmapLock: newCountLock(sim, "mmapper")})
	ops := &iomemOps{bar: newBar()}
	sim.Spawn("mmapper", des.Task, func(p *des.Proc) {
		_, err := app.Mmap(p, mapping, 0, 1, ops, nil) // descheduled before down_write
		assert.ErrorIs(t, err, mm.ErrKilled)
	})
	sim.Spawn("exiter", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		app.Exit(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Empty(t, mapping.VMAs(), "no VMA of a dead process stays in i_mmap")
}

// The fault result is a bit mask: do_user_addr_fault tests VM_FAULT_OOM before
// VM_FAULT_SIGBUS, and VM_FAULT_RETRY may come with VM_FAULT_MAJOR.
func TestOOMIsTestedBeforeSIGBUS(t *testing.T) {
	sim := des.MustNew(des.Config{})
	app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mm.NewMapping(sim, "m"), 0, 1, resultOps{mm.VMFaultOOM | mm.VMFaultSIGBUS}, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, app.Read(p, vma.Start), mm.ErrOOM)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 0, app.Stats().SIGBUS)
}

// majorRetryOps drops mmap_lock on the first attempt and answers as filemap_fault does
// after waiting for I/O; the retry maps.
type majorRetryOps struct{ bar *bar }

func (o majorRetryOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	if vmf.AllowRetryFirst() {
		vmf.MmapReadUnlock(p)
		return mm.VMFaultRetry | mm.VMFaultMajor
	}
	return vmf.VMA.InsertPFN(p, vmf.Address, o.bar.base, o.bar)
}

func TestRetryWithMajorRetries(t *testing.T) {
	sim := des.MustNew(des.Config{})
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mm.NewMapping(sim, "m"), 0, 1, majorRetryOps{newBar()}, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
		assert.True(t, vma.Present(vma.Start))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, app.Stats().Retries)
}
