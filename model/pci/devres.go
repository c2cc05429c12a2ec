package pci

import "hotplugsim/des"

// ReleaseGroup is devres_release_group of the group a driver opened at the start of its
// probe, as a driver's own error recovery does before probing again
// (xe_pci_error_slot_reset): the devm actions run newest first, in p, as at unbind. The
// model's group is the whole list.
func (r *Devres) ReleaseGroup(p *des.Proc) { r.releaseAll(p) }
