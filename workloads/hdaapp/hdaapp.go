// Package hdaapp is what an ALSA app does on a model/drivers/hda card in the hda scenarios
// (hda-bar-move, hda-patch-unbind), so that a player or an idle mixer means the same thing in
// each: a player opens the control device and a PCM substream, sets it up (hw_params, mmap,
// prepare) and starts it, then writes periods into its mmapped buffer, reads its position
// (SYNC_PTR) and sets a mixer volume every fourth operation; an idle app holds the control
// device open.
package hdaapp

import (
	"hotplugsim/des"
	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/mm"
	"hotplugsim/workloads"
)

// App is one app's files and address space.
type App struct {
	mm   *mm.MM
	ctl  *hda.File
	pcm  *hda.File
	vma  *mm.VMA
	idle bool
}

// Open waits for c's probe (WaitProbed) and opens the app's files: an idle app (any Spec
// kind but AppAudio) the control device; a player the control device and a PCM substream,
// set up and started. It returns nil if the card never appeared, and false as its second
// result if the app should end at once (a failed open or set-up); a non-nil App must be
// closed with Close either way.
func Open(p *des.Proc, c *hda.Chip, in *workloads.Instance) (*App, bool) {
	if !c.WaitProbed(p) { // this only reads whether the driver is bound
		return nil, false
	}
	a := &App{idle: in.Spec.Kind != workloads.AppAudio}
	var err error
	if a.ctl, err = c.OpenControl(p); err != nil || a.idle {
		return a, err == nil
	}
	a.mm = mm.NewMM(p.Sim(), in.Name, mm.Options{})
	if a.pcm, err = c.OpenPCM(p); err != nil {
		return a, false
	}
	if err = a.pcm.HWParams(p); err != nil {
		return a, false
	}
	if a.vma, err = a.pcm.Mmap(p, a.mm); err != nil {
		return a, false
	}
	return a, a.pcm.Prepare(p) == nil && a.pcm.Start(p) == nil
}

// Op is operation op: a player writes the next period (a store to system memory), reads its
// position, and every fourth operation sets a mixer volume (a control ioctl sending verbs);
// -ENODEV from the card, or a failed access, ends it. An idle app sleeps for idleHold.
func (a *App) Op(p *des.Proc, op int, idleHold des.Duration) bool {
	if a.idle {
		p.Sleep(idleHold)
		return true
	}
	if err := a.mm.Write(p, a.vma.Addr(op%hda.BufferPages)); err != nil {
		return false
	}
	if _, err := a.pcm.SyncPtr(p); err != nil {
		return false
	}
	if op%4 == 3 {
		return a.ctl.ElemWrite(p) != hda.ErrNoDevice
	}
	return true
}

// Close unmaps the buffer, closes the files (the last close lets snd_card_free go on) and
// ends the process's address space.
func (a *App) Close(p *des.Proc) {
	if a.vma != nil && !a.vma.Removed() {
		_ = a.mm.Munmap(p, a.vma)
	}
	if a.pcm != nil {
		a.pcm.Release(p)
	}
	if a.ctl != nil {
		a.ctl.Release(p)
	}
	if a.mm != nil {
		a.mm.Exit(p)
	}
}

// Apps are the apps of a scenario's hda chips, by Spec instance. A scenario's Target embeds
// it for workloads.Target's AppOpen, AppOp and AppClose.
type Apps struct {
	Chips    []*hda.Chip // in Spec device order
	IdleHold des.Duration
	apps     map[*workloads.Instance]*App
}

// AppOpen opens instance in's files on its device's chip (Open).
func (s *Apps) AppOpen(p *des.Proc, in *workloads.Instance) bool {
	a, ok := Open(p, s.Chips[in.Dev], in)
	if a != nil {
		if s.apps == nil {
			s.apps = map[*workloads.Instance]*App{}
		}
		s.apps[in] = a
	}
	return ok
}

// AppOp is operation op of in (App.Op).
func (s *Apps) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	return s.apps[in].Op(p, op, s.IdleHold)
}

// AppClose closes in's files, if it opened any (App.Close).
func (s *Apps) AppClose(p *des.Proc, in *workloads.Instance) {
	if a := s.apps[in]; a != nil {
		a.Close(p)
	}
}
