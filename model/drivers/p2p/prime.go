package p2p

import (
	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/fence"
	"hotplugsim/model/ttm"
)

// evAtomicCommit is the display GPU's flip ioctl.
var evAtomicCommit = des.L("DRM_IOCTL_MODE_ATOMIC")

// Prime is PRIME display offload: the render GPU renders frames into a buffer that the
// display GPU scans out. The display driver is a static importer (dma_buf_attach, no
// move_notify, as a KMS driver without dynamic import is): the attach pins the buffer and
// maps it once, and the display reads that mapping until detach. The static attachment
// cannot do peer to peer, so amdgpu_dma_buf_pin first moves a VRAM buffer to GTT; pinned,
// the buffer is never evicted (victim and evict skip it, ttm_bo_validate refuses to move it).
type Prime struct {
	b    *bo
	buf  *dmabuf.DmaBuf
	att  *dmabuf.Attachment
	disp *gpu
}

// OpenPrime allocates a buffer of pages pages in pl on GPU render (AMDGPU_GEM_CREATE,
// evicting when VRAM is full), exports it and imports it on GPU display as a static
// importer (DRM_IOCTL_PRIME_FD_TO_HANDLE: dma_buf_attach pins and maps). It returns the
// allocation's or the import's error (then nothing is shared).
func (w *World) OpenPrime(p *des.Proc, render, display int, pl ttm.Placement, pages int) (*Prime, error) {
	var b *bo
	if err := ioctl(p, evGemCreate, func() error {
		var err error
		b, err = w.gpus[render].alloc(p, "prime", pages, pl)
		return err
	}); err != nil {
		return nil, err
	}
	s := &Prime{b: b, disp: w.gpus[display]}
	_ = ioctl(p, evHandleToFD, func() error { s.buf = b.export(p); return nil })
	if err := ioctl(p, evFDToHandle, func() error { return s.attach(p) }); err != nil {
		dmabuf.Put(p, s.buf)
		b.put(p)
		return nil, err
	}
	return s, nil
}

// attach is the display's dma_buf_get and dma_buf_attach: the exporter pins (in GTT) and
// maps the buffer.
func (s *Prime) attach(p *des.Proc) error {
	dmabuf.Get(p, s.buf)
	att, err := dmabuf.Attach(p, s.buf, s.disp.pdev)
	if err != nil {
		dmabuf.Put(p, s.buf)
		return err
	}
	s.att = att
	return nil
}

// Frame is one frame: the render GPU writes the buffer (AMDGPU_CS with implicit sync: the
// job waits for the buffer's readers and writers and its fence is the write fence), then the
// display flips to it (DRM_IOCTL_MODE_ATOMIC: the scanout waits for the write fence and
// reads the buffer through the mapping made at attach; its fence goes in as a read fence).
func (s *Prime) Frame(p *des.Proc) error {
	if err := ioctl(p, evCS, func() error { return s.render(p) }); err != nil {
		return err
	}
	return ioctl(p, evAtomicCommit, func() error { return s.scanout(p) })
}

func (s *Prime) render(p *des.Proc) error {
	g, resv := s.b.g, s.b.tbo.Resv
	lock(p, resv)
	defer resv.Unlock(p)
	j, err := g.job(p, "render", g.timing.Between(renderMin, renderMax), resv.GetFences(p, fence.UsageRW(true)))
	if err != nil {
		return err
	}
	s.b.mem.Access(p, j.Finished(), true)
	if err := resv.ReserveFences(p, 1); err != nil {
		return err
	}
	resv.AddFence(p, j.Finished(), fence.UsageWrite)
	pushJob(p, j)
	return nil
}

// scanout reads the buffer once on the display GPU, through the attachment's mapping.
func (s *Prime) scanout(p *des.Proc) error {
	resv := s.buf.Resv()
	lock(p, resv)
	defer resv.Unlock(p)
	m, err := dmabuf.MapAttachment(p, s.att) // the mapping cached at attach
	if err != nil {
		return err
	}
	d := s.disp
	j, err := d.job(p, "scanout", d.timing.Between(shaderMin, shaderMax), resv.GetFences(p, fence.UsageWrite))
	if err != nil {
		return err
	}
	m.(*sgTable).mem.Access(p, j.Finished(), false)
	if err := resv.ReserveFences(p, 1); err != nil {
		return err
	}
	resv.AddFence(p, j.Finished(), fence.UsageRead)
	pushJob(p, j)
	return nil
}

// Close is the app closing its handles (DRM_IOCTL_GEM_CLOSE): the display detaches (unmap
// and unpin) and drops its dma-buf reference, the render side closes its fd and its GEM
// handle; the last reference frees the buffer once its resv is idle.
func (s *Prime) Close(p *des.Proc) {
	_ = ioctl(p, evGemClose, func() error {
		dmabuf.Detach(p, s.att)
		dmabuf.Put(p, s.buf)
		dmabuf.Put(p, s.buf)
		s.b.put(p)
		return nil
	})
}
