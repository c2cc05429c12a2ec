package drm

import (
	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/mm"
)

// DevEnter is drm_dev_enter: it enters a drm_unplug_srcu read section and returns its index
// and true, or false (and no section) if the device is unplugged. Every true must be paired
// with DevExit.
func (d *Device) DevEnter(p *des.Proc) (int, bool) {
	s := UnplugSRCU(d.sim)
	idx := s.ReadLock(p)
	if !d.Access(p, devEnter) || d.unplugged {
		s.ReadUnlock(p, idx)
		return 0, false
	}
	return idx, true
}

// DevExit is drm_dev_exit(idx).
func DevExit(p *des.Proc, idx int) {
	UnplugSRCU(p.Sim()).ReadUnlock(p, idx)
}

// IsUnplugged is drm_dev_is_unplugged: DevEnter then DevExit.
func (d *Device) IsUnplugged(p *des.Proc) bool {
	idx, ok := d.DevEnter(p)
	if !ok {
		return true
	}
	DevExit(p, idx)
	return false
}

// DevUnplug is drm_dev_unplug: set unplugged, synchronize_srcu (every DevEnter section
// that may have seen the old value has ended), drm_dev_unregister, then zap every CPU
// mapping of the device (unmap_mapping_range of the anon inode, 0, 0).
func (d *Device) DevUnplug(p *des.Proc) {
	d.noteUnplug(p)
	p.Point(evUnplug, d.lUnplug, 0, 0)
	if !d.Use(p, "drm_dev_unplug") {
		return
	}
	d.unplugged = true
	UnplugSRCU(d.sim).Synchronize(p)
	d.unplugSynced = true
	p.Trace(evUnplugD, d.lUnplug, 0, 0)
	d.DevUnregister(p)
	mm.UnmapMappingRange(p, d.mapping, 0, 0)
}

// devEnter is drm_dev_enter's read of the bool dev->unplugged.
var devEnter = kasan.Access{Func: "drm_dev_enter", Size: 1}
