package drm_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drm"
)

// An app creates a buffer, shares it with a second GPU through PRIME and exits: closing its
// file releases its handles, and the buffer lives on while the importer holds the dma-buf.
func Example_gem() {
	sim := des.MustNew(des.Config{})
	gpu0 := drm.DevAlloc(sim, nil, "card0", nil)
	gpu1 := drm.DevAlloc(sim, nil, "card1", nil)
	gpu0.DevRegister(nil)
	gpu1.DevRegister(nil)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		f0, _ := gpu0.Open(p, "app")
		f1, _ := gpu1.Open(p, "app")
		bo := gpu0.GEMObjectInit(p, "bo", 1<<20, func(p *des.Proc, o *drm.GEMObject) {
			fmt.Println("free", o.Name(), "at", p.Now())
		})
		h, _ := f0.HandleCreate(p, bo)
		bo.Put(p) // the handle keeps it
		buf, _ := f0.PrimeHandleToFD(p, h)
		h1, _ := f1.PrimeFDToHandle(p, buf)
		again, _ := f1.PrimeFDToHandle(p, buf)
		fmt.Println("import handle", h1, "re-import handle", again)
		buf.Put(p) // close the fd
		_ = f0.Close(p)
		_, err := f0.Lookup(p, h)
		fmt.Println("exporter's handle after close:", err)
		p.Sleep(des.Microsecond)
		_ = f1.Close(p)
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations))
	// Output:
	// import handle 1 re-import handle 1
	// exporter's handle after close: -ENOENT
	// free drm_gem_object:bo at @1us
	// violations: 0
}
