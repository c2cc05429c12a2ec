package mm

import "hotplugsim/model/mem"

// regionOwner is a model/mem Region (a BAR) as the Owner of the PTEs that map it.
type regionOwner struct {
	r   *mem.Region
	gen int
}

// RegionOwner adapts a BAR to Owner for InsertPFN: phys still belongs to it while the
// physical address space decodes phys to r and the device was not replugged since (a new
// incarnation is new hardware: old user mappings of it are stale).
func RegionOwner(r *mem.Region) Owner {
	return regionOwner{r: r, gen: r.Owner().Generation()}
}

func (o regionOwner) Owns(phys uint64) bool {
	return o.r.Owner().Space().At(mem.Addr(phys)) == o.r && o.r.Owner().Generation() == o.gen
}

func (o regionOwner) Name() string { return o.r.Name() }
