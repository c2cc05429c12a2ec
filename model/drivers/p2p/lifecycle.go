package p2p

import "fmt"

// Lifecycle assertions. A GEM reference is taken only on a live buffer (the handle, the
// dma-buf or an ioctl's lookup holds one), a released buffer is never put, moved or
// released again, an attachment is detached once and a Share closed once. A transition
// outside that order is a bug of the model or of what drives it, not a race for the oracles
// to grade: it panics with the transition's name, and the run reports the panic (violation
// kind panic). The kernel's kref would warn (refcount_t: addition on 0; use-after-free) and
// go on; the model stops the process there instead.

// invalid panics naming the invalid transition of the object what.
func invalid(what, transition string) {
	panic(fmt.Sprintf("p2p: %s: invalid transition: %s", what, transition))
}

// assertLive: b's final reference is not gone (transition names what was tried).
func (b *bo) assertLive(transition string) {
	if b.dead {
		invalid("bo "+b.name, transition+" after release")
	}
}
