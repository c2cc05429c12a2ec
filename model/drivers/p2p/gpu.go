package p2p

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/pci"
	"hotplugsim/model/sched"
	"hotplugsim/model/ttm"
)

// ringFenceLockClass is the lockdep class of every ring's fence lock: these are amdgpu-style
// devices, where one spin_lock_init sets up the fence lock of every ring of every device.
const ringFenceLockClass = "&ring->fence_drv.lock"

// VRAMPages is the VRAM of every modelled GPU, in pages: small, so a few buffers make
// memory pressure.
const VRAMPages = 16

// Job durations, drawn per GPU from the stream "p2p/<gpu>".
const (
	shaderMin, shaderMax   = 10 * des.Microsecond, 40 * des.Microsecond
	renderMin, renderMax   = 1 * des.Microsecond, 4 * des.Microsecond
	computeMin, computeMax = 2 * des.Microsecond, 6 * des.Microsecond
	copyMin, copyMax       = 1 * des.Microsecond, 3 * des.Microsecond
)

// maxBOs bounds the live buffer objects of one GPU.
const maxBOs = 256

var errNoMem = errors.New("-ENOMEM")

// gpu is one device and its driver instance: PCI function, drm and ttm devices, a gfx
// scheduler with one entity and an SDMA ring for buffer moves.
type gpu struct {
	w      *World
	name   string
	policy Policy
	pdev   *pci.Dev
	ttm    *ttm.Device
	ring   *sched.Ring
	sdma   *sched.Ring
	ent    *sched.Entity
	timing *des.Stream
	bos    []*bo // live, in creation order (the LRU for eviction)
	nextID int
}

func newGPU(w *World, name string, policy Policy, pdev *pci.Dev) (*gpu, error) {
	sim := w.sim
	g := &gpu{w: w, name: name, policy: policy, pdev: pdev, timing: sim.Stream("p2p/" + name)}
	ddev := drm.DevAlloc(sim, nil, name, nil)
	t, err := ttm.NewDevice(sim, ddev, pdev.BAR(0).Region(), ttm.Options{VRAMPages: VRAMPages})
	if err != nil {
		return nil, fmt.Errorf("device %s: ttm: %w", name, err)
	}
	g.ttm = t
	g.ring = sched.NewRingClass(sim, name+".gfx", ringFenceLockClass)
	g.sdma = sched.NewRingClass(sim, name+".sdma", ringFenceLockClass)
	s := sched.Init(sim, sched.Config{Name: name + ".gfx", HWSubmission: 2}, sched.Ops{
		RunJob: func(p *des.Proc, j *sched.Job) *fence.Fence {
			return g.ring.Submit(p, j.Payload.(des.Duration), false)
		},
		// No TDR (Config.Timeout 0) and no job hangs in this model; the handler only rearms.
		TimedoutJob: func(*des.Proc, *sched.Job) sched.Stat { return sched.StatNominal },
	})
	g.ent = sched.NewEntity(sim, name+".ctx", s)
	return g, nil
}

// bo is an amdgpu_bo: a ttm BO whose memory is a fence.Backing per placement, with the GEM
// refcount (handles, the dma-buf) and, once exported, its dma-buf.
type bo struct {
	g     *gpu
	name  string
	tbo   *ttm.BO
	mem   *fence.Backing // memory of the current placement
	refs  int
	dead  bool // the final reference is gone; being released
	buf   *dmabuf.DmaBuf
	lbl   des.Label
	moves int
}

func placeName(pl ttm.Placement) string {
	return [...]string{"system", "gtt", "vram"}[pl]
}

func (b *bo) backingName() string {
	return fmt.Sprintf("%s:%s#%d", placeName(b.tbo.Placement()), b.name, b.moves)
}

// newBO is amdgpu_bo_create in place, with the pre-5.19 dma_resv.
func (g *gpu) newBO(p *des.Proc, what string, pages int, place ttm.Placement) (*bo, error) {
	if len(g.bos) >= maxBOs {
		return nil, errNoMem
	}
	g.nextID++
	name := fmt.Sprintf("%s.%s%d", g.name, what, g.nextID)
	t, err := g.ttm.NewBO(p, name, pages, place)
	if err != nil {
		return nil, err
	}
	t.Resv = fence.NewLegacyResv(g.w.sim, "resv:"+name)
	b := &bo{g: g, name: name, tbo: t, refs: 1, lbl: des.L("bo:" + name)}
	b.mem = fence.NewBacking(g.w.sim, p, b.backingName())
	g.bos = append(g.bos, b)
	return b, nil
}

// alloc is newBO that evicts other VRAM buffers, least recently created first, when VRAM is
// full (ttm_bo_mem_force_space), and waits for their moves before retrying.
func (g *gpu) alloc(p *des.Proc, what string, pages int, place ttm.Placement) (*bo, error) {
	for range maxBOs + 1 {
		b, err := g.newBO(p, what, pages, place)
		if !errors.Is(err, ttm.ErrNoSpace) || place != ttm.PlVRAM {
			return b, err
		}
		victim := g.victim()
		if victim == nil {
			return nil, err
		}
		if moved := victim.evict(p); moved != nil {
			moved.Wait(p) // the ghost's VRAM is free once the copy is done
			moved.Put(p)
		}
	}
	return nil, errNoMem
}

// victim is the first live VRAM buffer in creation order.
func (g *gpu) victim() *bo {
	for _, b := range g.bos {
		if !b.dead && b.tbo.Placement() == ttm.PlVRAM && !b.tbo.Pinned() {
			return b
		}
	}
	return nil
}

func (g *gpu) unlink(b *bo) {
	for i, x := range g.bos {
		if x == b {
			g.bos = append(g.bos[:i], g.bos[i+1:]...)
			return
		}
	}
}

// job makes a job of g's entity that runs for d once deps signalled; the caller registers
// its memory accesses and fences, then pushes it. deps are references (dma_resv_get_fences),
// which the job takes over (drm_sched_job_add_dependency).
func (g *gpu) job(p *des.Proc, name string, d des.Duration, deps []*fence.Fence) (*sched.Job, error) {
	j, err := sched.JobInit(p, g.ent, name)
	if err != nil {
		for _, f := range deps {
			f.Put(p)
		}
		return nil, err
	}
	j.Payload = d
	for _, f := range deps {
		j.AddDependency(p, f)
	}
	j.Arm(p)
	return j, nil
}

// get takes a GEM reference.
func (b *bo) get() {
	b.assertLive("get")
	b.refs++
}

// put drops a GEM reference; the final one releases the buffer: ttm's delayed delete frees
// the memory once every fence of the resv has signalled.
func (b *bo) put(p *des.Proc) {
	b.assertLive("put")
	b.refs--
	if b.refs > 0 {
		return
	}
	b.dead = true
	spRelease.Begin(p, b.lbl, 0, 0)
	resv := b.tbo.Resv
	if err := resv.Lock(p, nil); err != nil {
		panic("p2p: dma_resv_lock: " + err.Error())
	}
	resv.Wait(p, fence.UsageBookkeep)
	b.mem.Free(p)
	resv.Unlock(p)
	b.g.unlink(b)
	b.tbo.Put(p)
	spRelease.End(p, b.lbl, 0, 0)
}

// evict is ttm_bo_evict of a VRAM buffer (VRAM -> GTT). It returns the copy's fence, a
// reference the caller puts, or nil if nothing moved.
func (b *bo) evict(p *des.Proc) *fence.Fence {
	spEvict.Begin(p, b.lbl, 0, 0)
	defer spEvict.End(p, b.lbl, 0, 0)
	resv := b.tbo.Resv
	if err := resv.Lock(p, nil); err != nil {
		panic("p2p: dma_resv_lock: " + err.Error())
	}
	defer resv.Unlock(p)
	if b.dead || b.tbo.Placement() != ttm.PlVRAM || b.tbo.Pinned() { // pinned BOs are not on the LRU
		return nil
	}
	return b.moveLocked(p, ttm.PlTT)
}

// moveLocked moves the buffer (resv held): dma_buf_move_notify to every importer, wait
// for idle, then a copy on the SDMA ring; the old memory is freed when the copy signals. It
// returns the copy's fence, amdgpu_copy_buffer's reference, which the caller puts (the resv
// holds its own, as amdgpu_bo_move puts its after ttm_bo_move_accel_cleanup).
func (b *bo) moveLocked(p *des.Proc, to ttm.Placement) *fence.Fence {
	b.assertLive("move")
	from := int64(b.tbo.Placement())
	spMove.Begin(p, b.lbl, from, int64(to))
	defer spMove.End(p, b.lbl, from, int64(to))
	if b.buf != nil {
		dmabuf.MoveNotify(p, b.buf)
	}
	b.tbo.Resv.Wait(p, fence.UsageBookkeep) // ttm_bo_wait_ctx: idle before the move
	old := b.mem
	cp := b.g.sdma.Submit(p, b.g.timing.Between(copyMin, copyMax), false)
	if err := b.tbo.Move(p, to, cp); err != nil {
		panic("p2p: ttm_bo_move: " + err.Error()) // GTT has no limit in the model
	}
	b.moves++
	b.mem = fence.NewBacking(b.g.w.sim, p, b.backingName())
	old.Access(p, cp, false)
	b.mem.Access(p, cp, true)
	if _, err := cp.AddCallback(p, func(q *des.Proc, _ *fence.Fence) { old.Free(q) }); err != nil {
		old.Free(p)
	}
	return cp
}
