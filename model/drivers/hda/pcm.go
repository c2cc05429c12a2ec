package hda

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
)

var (
	spanIoctl = des.NewSpan("ioctl")
	evPos     = des.L("pcm-pos")

	ioctlHWParams  = des.L("SNDRV_PCM_IOCTL_HW_PARAMS")
	ioctlPrepare   = des.L("SNDRV_PCM_IOCTL_PREPARE")
	ioctlStart     = des.L("SNDRV_PCM_IOCTL_START")
	ioctlSyncPtr   = des.L("SNDRV_PCM_IOCTL_SYNC_PTR")
	ioctlElemWrite = des.L("SNDRV_CTL_IOCTL_ELEM_WRITE")
	opRelease      = des.L("release")
)

// substream is one playback stream descriptor with its PCM substream and runtime.
type substream struct {
	c        *Chip
	sd       int
	lbl      des.Label
	lock     *lock.SpinLock // the substream's stream lock
	owner    *File
	mapping  *mm.Mapping
	pages    []*mm.Page
	prepared bool
	running  bool
	// suspended: stopped by quiesce's RescanPrepare, to be restarted by RescanDone.
	suspended bool
	hwPtr     int64
	lastPos   uint32
	periods   int
	// After a BAR move: when the stream was (re)started and how far it had got.
	resumed         bool
	resumedAt       des.Time
	periodsAtResume int
	hwPtrAtResume   int64
}

func newSubstream(sim *des.Sim, c *Chip, sd int) *substream {
	name := fmt.Sprintf("%s:pcm0p:sd%d", c.cfg.Name, sd)
	return &substream{c: c, sd: sd, lbl: des.L(name), lock: lock.NewSpinLock(sim, "&substream->self_group.lock"),
		mapping: mm.NewMapping(sim, name)}
}

// File is an open file on the card: a PCM playback substream or the control device.
type File struct {
	c      *Chip
	sub    *substream // nil for a control file
	closed bool
}

// OpenControl opens the control device (/dev/snd/controlC0).
func (c *Chip) OpenControl(p *des.Proc) (*File, error) {
	if err := c.card.openFile(p); err != nil {
		return nil, err
	}
	return &File{c: c}, nil
}

// OpenPCM opens a playback substream (/dev/snd/pcmC0D0p); -EBUSY if every stream is taken.
func (c *Chip) OpenPCM(p *des.Proc) (*File, error) {
	if err := c.card.openFile(p); err != nil {
		return nil, err
	}
	for _, s := range c.subs {
		if s.owner == nil {
			f := &File{c: c, sub: s}
			s.owner = f
			return f, nil
		}
	}
	c.card.closeFile()
	return nil, ErrBusy
}

// op runs one file operation: the ioctl span, the policy's gate, fn.
func (f *File) op(p *des.Proc, name des.Label, fn func() error) error {
	if f.closed {
		return ErrBadFD
	}
	spanIoctl.Begin(p, name, 0, 0)
	held, err := f.c.enter(p, f.sub != nil)
	if err == nil || name == opRelease { // release goes on after a failed snd_power_wait
		err = fn()
	}
	f.c.exit(p, held)
	spanIoctl.End(p, name, 0, 0)
	return err
}

func (f *File) pcm() (*substream, error) {
	if f.sub == nil {
		return nil, ErrBadFD
	}
	return f.sub, nil
}

// HWParams is SNDRV_PCM_IOCTL_HW_PARAMS: allocate the buffer in system memory.
func (f *File) HWParams(p *des.Proc) error {
	s, err := f.pcm()
	if err != nil {
		return err
	}
	return f.op(p, ioctlHWParams, func() error {
		if s.pages == nil {
			for i := 0; i < BufferPages; i++ {
				s.pages = append(s.pages, mm.AllocPage(f.c.sim, p, fmt.Sprintf("%s:buf%d", s.lbl, i)))
			}
		}
		return nil
	})
}

// Mmap maps the PCM buffer into the player's address space (snd_pcm_mmap_data with
// snd_pcm_lib_default_mmap: system memory pages, untouched by a BAR move).
func (f *File) Mmap(p *des.Proc, m *mm.MM) (*mm.VMA, error) {
	s, err := f.pcm()
	if err != nil {
		return nil, err
	}
	return m.Mmap(p, s.mapping, 0, BufferPages, pcmVMOps{s}, s)
}

type pcmVMOps struct{ s *substream }

// Fault is snd_pcm_mmap_data_fault: the buffer page at the offset, SIGBUS past it or after
// hw_free.
func (o pcmVMOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	if int(vmf.PgOff) >= len(o.s.pages) {
		return mm.VMFaultSIGBUS
	}
	return vmf.VMA.InsertPage(p, vmf.Address, o.s.pages[vmf.PgOff])
}

// Prepare is SNDRV_PCM_IOCTL_PREPARE: program the stream descriptor and the codec (stream
// id and format verbs).
func (f *File) Prepare(p *des.Proc) error {
	s, err := f.pcm()
	if err != nil {
		return err
	}
	return f.op(p, ioctlPrepare, func() error {
		c := f.c
		if s.pages == nil || s.running {
			return ErrBadFD
		}
		c.writel(p, sdReg(s.sd, sdCBL), c.cfg.BufferBytes())
		c.writew(p, sdReg(s.sd, sdLVI), BufferPages-1)
		c.writew(p, sdReg(s.sd, sdFMT), 0x11)
		c.writel(p, sdReg(s.sd, sdBDLPL), 0x1000*uint32(s.sd+1))
		s.lastPos = c.readl(p, sdReg(s.sd, sdLPIB))
		if _, err := c.bus.execVerb(p, verb(2, verbSetChannelSID, uint32(s.sd+1)<<4)); err != nil {
			return err
		}
		if _, err := c.bus.execVerb(p, verb(2, verbSetStreamFormat, 0x11)); err != nil {
			return err
		}
		s.prepared = true
		return nil
	})
}

// Start is SNDRV_PCM_IOCTL_START.
func (f *File) Start(p *des.Proc) error {
	s, err := f.pcm()
	if err != nil {
		return err
	}
	return f.op(p, ioctlStart, func() error {
		if !s.prepared || s.running {
			return ErrBadFD
		}
		f.c.trigger(p, s, true)
		return nil
	})
}

// SyncPtr is SNDRV_PCM_IOCTL_SYNC_PTR with hwsync: the stream's position (hw_ptr, bytes),
// read from LPIB while the stream runs.
func (f *File) SyncPtr(p *des.Proc) (int64, error) {
	s, err := f.pcm()
	if err != nil {
		return 0, err
	}
	var pos int64
	err = f.op(p, ioctlSyncPtr, func() error {
		s.lock.LockIRQSave(p)
		if s.running {
			f.c.updateHWPtr(p, s)
		}
		pos = s.hwPtr
		s.lock.UnlockIRQRestore(p)
		p.Trace(evPos, s.lbl, pos, 0)
		return nil
	})
	return pos, err
}

// ElemWrite is SNDRV_CTL_IOCTL_ELEM_WRITE of a mixer volume
// (snd_hda_mixer_amp_volume_put): read and write the amp through verbs.
func (f *File) ElemWrite(p *des.Proc) error {
	return f.op(p, ioctlElemWrite, func() error {
		if _, err := f.c.bus.execVerb(p, verb(2, verbGetAmpGainMute, 0xa000)); err != nil {
			return err
		}
		_, err := f.c.bus.execVerb(p, verb(2, verbSetAmpGainMute, 0xb03f))
		return err
	})
}

// Release is the file's release: for a PCM, stop the stream (snd_pcm_drop), hw_free (the
// codec cleanup verb, the descriptor cleared) and free the buffer; then snd_card_file_remove.
func (f *File) Release(p *des.Proc) {
	if f.closed {
		return
	}
	_ = f.op(p, opRelease, func() error {
		s := f.sub
		if s == nil {
			return nil
		}
		c := f.c
		if s.running {
			c.trigger(p, s, false)
		}
		s.suspended = false
		if s.prepared {
			s.prepared = false
			c.writel(p, sdReg(s.sd, sdBDLPL), 0)
			_, _ = c.bus.execVerb(p, verb(2, verbSetChannelSID, 0))
		}
		for _, pg := range s.pages {
			pg.Free(p)
		}
		s.pages, s.owner, s.hwPtr = nil, nil, 0
		return nil
	})
	f.closed = true
	f.c.card.closeFile()
}
