package mm

import "hotplugsim/des"

// RWLock is what the MM needs of its mmap_lock; model/lock's RWSem (the default, lock
// class "&mm->mmap_lock") has this method set.
type RWLock interface {
	DownRead(p *des.Proc)
	UpRead(p *des.Proc)
	DownWrite(p *des.Proc)
	UpWrite(p *des.Proc)
}
