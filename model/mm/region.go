package mm

import (
	"hotplugsim/des"
	"hotplugsim/model/mem"
)

var regionOwners = des.NewSlabKey[regionOwner]()

// regionOwner is a model/mem Region (a BAR) as the Owner of the PTEs that map it.
type regionOwner struct {
	r   *mem.Region
	gen int
}

// RegionOwner adapts a BAR to Owner for InsertPFN: phys still belongs to it while the
// physical address space decodes phys to r and the device was not replugged since (a new
// incarnation is new hardware: old user mappings of it are stale).
func RegionOwner(r *mem.Region) Owner {
	o := regionOwners.New(r.Owner().Space().Sim())
	o.r, o.gen = r, r.Owner().Generation()
	return o
}

func (o *regionOwner) Owns(phys uint64) bool {
	return o.r.Owner().Space().At(mem.Addr(phys)) == o.r && o.r.Owner().Generation() == o.gen
}

func (o *regionOwner) Name() string { return o.r.Name() }
