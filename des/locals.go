package des

// locals is the storage behind Sim.Local and Proc.Local: a handful of values, one per model
// package that keeps per-simulation or per-process state, keyed by an unexported key type.
// They are looked up on hot paths (lockdep's held-lock stack at every lock operation), where
// a linear scan of a few interface comparisons is several times cheaper than hashing an
// interface key; past localsScan keys a map takes over, so a large set stays O(1).
type locals struct {
	few  []localSlot
	many map[any]any
}

type localSlot struct{ key, val any }

const localsScan = 16

func (l *locals) get(key any, mk func() any) any {
	for i := range l.few {
		if l.few[i].key == key {
			return l.few[i].val
		}
	}
	if l.many != nil {
		if v, ok := l.many[key]; ok {
			return v
		}
	}
	v := mk()
	if len(l.few) < localsScan {
		l.few = append(l.few, localSlot{key, v})
		return v
	}
	if l.many == nil {
		l.many = map[any]any{}
	}
	l.many[key] = v
	return v
}
