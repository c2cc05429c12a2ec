// Package p2pevict registers the scenario "p2p-evict" (dma-buf fence replacement thread): GPU B reads a VRAM buffer
// of GPU A peer to peer while A renders into it with explicit sync, evicts it under memory
// pressure and frees it. A prime-offload app (not in the default Spec) adds a static
// importer: its peer scans out a buffer the device renders, pinned in GTT from the attach
// on. The protocol model and its policies are in
// hotplugsim/model/drivers/p2p; this package is the workload glue (the Spec topology and the
// apps driving the model). Import it for its side effect.
package p2pevict

import (
	"fmt"
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/drivers/p2p"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/ttm"
	"hotplugsim/workloads"
)

// Name is the scenario's name.
const Name = "p2p-evict"

// Driver is the Spec driver name of a modelled GPU: "gpu" on the root bus, or
// "gpu:<bridge>" behind the named bridge (e.g. a PCIe switch "gpu:sw0"). Two GPUs behind
// the same bridge are P2P capable; a path through the host bridge is not.
const Driver = "gpu"

func init() { workloads.Register(Scenario()) }

// SparseSpec is the workload at real-life rates (desrun --spec sparse): the importer runs a
// shader read of the shared buffer (10-40 µs) about every 500 µs, the exporter renders into
// it with explicit sync about every 800 µs and the compute app makes memory pressure (a
// scratch buffer that evicts) about once a millisecond. A read is then in flight during a
// write and an eviction only when the schedule makes it, as between two real GPUs that
// share a buffer once per frame or so. The scenario has no platform events.
func SparseSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{
			{Name: "gpua", Driver: "gpu:sw0"}, {Name: "gpub", Driver: "gpu:sw0"},
		}},
		Apps: []workloads.App{
			{Kind: workloads.AppDmaBufShare, Device: "gpua", Peer: "gpub", Count: 1, Ops: 12, IntervalNs: 500_000,
				BOs: []workloads.BO{{SizeBytes: 32 << 10, Placement: workloads.PlaceVRAM}}},
			{Kind: workloads.AppRender, Device: "gpua", Count: 1, Ops: 8, IntervalNs: 800_000},
			{Kind: workloads.AppCompute, Device: "gpua", Count: 1, Ops: 6, IntervalNs: 1_000_000,
				BOs: []workloads.BO{{SizeBytes: 48 << 10, Placement: workloads.PlaceVRAM}}},
		},
	}
}

// Scenario returns the p2p-evict scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name: Name,
		Doc:  "GPU B reads A's VRAM buffer peer to peer while A renders into it with explicit sync, evicts and frees it",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{
				{Name: "gpua", Driver: "gpu:sw0"}, {Name: "gpub", Driver: "gpu:sw0"},
			}},
			Apps: []workloads.App{
				{Kind: workloads.AppDmaBufShare, Device: "gpua", Peer: "gpub", Count: 1, Ops: 4, IntervalNs: 4000,
					BOs: []workloads.BO{{SizeBytes: 32 << 10, Placement: workloads.PlaceVRAM}}},
				{Kind: workloads.AppRender, Device: "gpua", Count: 1, Ops: 3, IntervalNs: 6000},
				{Kind: workloads.AppCompute, Device: "gpua", Count: 1, Ops: 2, IntervalNs: 10000,
					BOs: []workloads.BO{{SizeBytes: 48 << 10, Placement: workloads.PlaceVRAM}}},
			},
		},
		SparseSpec: new(SparseSpec()),
		Policies: workloads.PoliciesOf(p2p.Policies, map[string]des.ViolationKind{
			p2p.ReplaceExclusive: oracle.GPUUseAfterFree}),
		DefaultPolicy: p2p.FenceArray,
		Oracles: []des.ViolationKind{oracle.GPUUseAfterFree, oracle.UseAfterFree, oracle.FenceNeverSignalled,
			oracle.LockOrder, oracle.Deadlock, oracle.Hang, oracle.Panic},
		Strategy: workloads.DefaultStrategy,
		AppKinds: []workloads.AppKind{workloads.AppDmaBufShare, workloads.AppRender, workloads.AppCompute, workloads.AppIdle,
			workloads.AppPrimeOffload},
		EventKinds: nil,
		Build:      build,
	}
}

// Default buffer sizes of an app whose Spec names no BO (in VRAM).
const (
	defaultShareBytes   = 32 << 10
	defaultComputeBytes = 48 << 10
)

// target drives a p2p.World for workloads.Start.
type target struct {
	w      *p2p.World
	shares map[*workloads.Instance]*p2p.Share // looked up, never iterated
	primes map[*workloads.Instance]*p2p.Prime // looked up, never iterated
}

var _ workloads.AppLifecycle = (*target)(nil)

func build(sim *des.Sim, spec workloads.Spec, policy string) error {
	cfg := p2p.Config{Policy: policy}
	for _, d := range spec.Topology.Devices {
		drv, bridge, behind := strings.Cut(d.Driver, ":")
		if drv != Driver || behind && bridge == "" {
			return fmt.Errorf("device %s: driver %q: %s has driver %q or %q", d.Name, d.Driver, Name, Driver, Driver+":<bridge>")
		}
		cfg.Devices = append(cfg.Devices, p2p.Device{Name: d.Name, Bridge: bridge, Policy: d.Policy})
	}
	w, err := p2p.NewWorld(sim, cfg)
	if err != nil {
		return err
	}
	workloads.Start(sim, spec, &target{w: w, shares: map[*workloads.Instance]*p2p.Share{},
		primes: map[*workloads.Instance]*p2p.Prime{}})
	return nil
}

// placement is the placement and size in pages of an app's first Spec BO, or def and
// defBytes if it names none.
func placement(in *workloads.Instance, def ttm.Placement, defBytes int64) (ttm.Placement, int) {
	if len(in.Spec.BOs) == 0 {
		return def, pagesOf(defBytes)
	}
	bo := in.Spec.BOs[0]
	pl := map[string]ttm.Placement{workloads.PlaceVRAM: ttm.PlVRAM, workloads.PlaceGTT: ttm.PlTT,
		workloads.PlaceSystem: ttm.PlSystem}[bo.Placement]
	return pl, max(1, pagesOf(bo.SizeBytes))
}

func pagesOf(bytes int64) int {
	return int((uint64(bytes) + mm.PageSize - 1) / mm.PageSize)
}

// AppOpen: a dma-buf-share instance allocates the buffer on its device, exports it and
// imports it on its peer (a dynamic importer); a prime-offload instance does the same with
// its peer as the display, a static importer that pins the buffer. False if the allocation
// or the import fails.
func (t *target) AppOpen(p *des.Proc, in *workloads.Instance) bool {
	pl, pages := placement(in, ttm.PlVRAM, defaultShareBytes)
	switch in.Spec.Kind {
	case workloads.AppDmaBufShare:
		s, err := t.w.OpenShare(p, in.Dev, in.Peer, pl, pages)
		if err != nil {
			return false
		}
		t.shares[in] = s
	case workloads.AppPrimeOffload:
		s, err := t.w.OpenPrime(p, in.Dev, in.Peer, pl, pages)
		if err != nil {
			return false
		}
		t.primes[in] = s
	}
	return true
}

// AppClose: the importer closes its handle (detach), the exporter closes its dma-buf fd and
// its GEM handle; the last reference frees the buffer once its resv is idle.
func (t *target) AppClose(p *des.Proc, in *workloads.Instance) {
	if s := t.shares[in]; s != nil {
		delete(t.shares, in)
		s.Close(p)
	}
	if s := t.primes[in]; s != nil {
		delete(t.primes, in)
		s.Close(p)
	}
}

// AppOp performs one operation: a shader read on the importer (dma-buf-share), an
// explicit-sync write plus sync-file import on the exporter (render), a scratch buffer that
// makes memory pressure (compute), a frame rendered and scanned out (prime-offload).
func (t *target) AppOp(p *des.Proc, in *workloads.Instance, _ int) bool {
	switch in.Spec.Kind {
	case workloads.AppDmaBufShare:
		_ = t.shares[in].Read(p)
	case workloads.AppPrimeOffload:
		_ = t.primes[in].Frame(p)
	case workloads.AppRender:
		t.w.Render(p, in.Dev)
	case workloads.AppCompute:
		pl, pages := placement(in, ttm.PlVRAM, defaultComputeBytes)
		t.w.Compute(p, in.Dev, pl, pages)
	}
	return true
}

// Platform: the scenario has no platform events.
func (t *target) Platform(*des.Proc, workloads.Event) {}
