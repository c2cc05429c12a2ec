package dmabuf_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/fence"
)

type gpu string

func (g gpu) Name() string { return string(g) }

// An exporter shares a buffer with a dynamic importer: the importer maps it under the resv;
// the exporter moves the buffer (move_notify under the resv), so the importer maps it again;
// detach and the last put release it. A late move_notify after the release is a
// use-after-free.
func Example() {
	sim := des.MustNew(des.Config{CollectAll: true})
	where := "vram"
	ops := &dmabuf.Ops{
		MapDmaBuf: func(_ *des.Proc, a *dmabuf.Attachment) (dmabuf.SGTable, error) {
			fmt.Println("map for", a.Dev().Name(), "in", where)
			return where, nil
		},
		UnmapDmaBuf: func(_ *des.Proc, _ *dmabuf.Attachment, sgt dmabuf.SGTable) { fmt.Println("unmap", sgt) },
		Release:     func(*des.Proc, *dmabuf.DmaBuf) { fmt.Println("release") },
	}
	buf, _ := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:bo", Ops: ops, Resv: fence.NewResv(sim, "resv:bo"), Priv: &where})
	moveNotify := func(p *des.Proc, a *dmabuf.Attachment) {
		if a.Mapped() {
			dmabuf.UnmapAttachment(p, a)
		}
	}
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		dmabuf.Get(p, buf) // the importer's reference
		att, _ := dmabuf.DynamicAttach(p, buf, gpu("gpu1"), &dmabuf.ImporterOps{MoveNotify: moveNotify}, nil)
		resv := buf.Resv()
		_ = resv.Lock(p, nil)
		_, _ = dmabuf.MapAttachment(p, att)
		where = "gtt" // the exporter evicts the buffer
		dmabuf.MoveNotify(p, buf)
		_, _ = dmabuf.MapAttachment(p, att)
		resv.Unlock(p)
		dmabuf.Detach(p, att)
		dmabuf.Put(p, buf) // the importer's
		dmabuf.Put(p, buf) // the exporter's: released
		dmabuf.MoveNotify(p, buf)
	})
	for _, v := range sim.Run().Violations {
		fmt.Println(v.Kind)
	}
	// Output:
	// map for gpu1 in vram
	// unmap vram
	// map for gpu1 in gtt
	// unmap gtt
	// release
	// use-after-free
}
