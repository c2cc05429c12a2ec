package dmabuf_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
)

// dev is an importing device.
type dev string

func (d dev) Name() string { return string(d) }

// exporter records the calls of its ops, in order.
type exporter struct {
	calls  []string
	nextID int
	p2p    bool // Attach keeps peer2peer
}

type table struct{ id int }

func (e *exporter) ops() *dmabuf.Ops {
	return &dmabuf.Ops{
		Attach: func(_ *des.Proc, _ *dmabuf.DmaBuf, a *dmabuf.Attachment) error {
			e.calls = append(e.calls, "attach")
			a.Peer2Peer = a.Peer2Peer && e.p2p
			return nil
		},
		Detach: func(*des.Proc, *dmabuf.DmaBuf, *dmabuf.Attachment) { e.calls = append(e.calls, "detach") },
		MapDmaBuf: func(*des.Proc, *dmabuf.Attachment) (dmabuf.SGTable, error) {
			e.nextID++
			e.calls = append(e.calls, fmt.Sprintf("map#%d", e.nextID))
			return &table{e.nextID}, nil
		},
		UnmapDmaBuf: func(_ *des.Proc, _ *dmabuf.Attachment, sgt dmabuf.SGTable) {
			e.calls = append(e.calls, fmt.Sprintf("unmap#%d", sgt.(*table).id))
		},
		Release: func(*des.Proc, *dmabuf.DmaBuf) { e.calls = append(e.calls, "release") },
	}
}

// importer drops its mapping on move_notify, as amdgpu and xe do.
var importer = &dmabuf.ImporterOps{AllowPeer2Peer: true, MoveNotify: func(p *des.Proc, a *dmabuf.Attachment) {
	if a.Mapped() {
		dmabuf.UnmapAttachment(p, a)
	}
}}

func export(t *testing.T, sim *des.Sim, e *exporter) *dmabuf.DmaBuf {
	t.Helper()
	d, err := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:bo", Ops: e.ops(), Resv: fence.NewResv(sim, "resv:bo"), Priv: e})
	require.NoError(t, err)
	return d
}

func lock(p *des.Proc, d *dmabuf.DmaBuf) {
	if err := d.Resv().Lock(p, nil); err != nil {
		panic(err)
	}
}

// The whole life of a shared buffer, used correctly: no violation, and the exporter's ops
// run in the kernel's order.
func TestLifecycle(t *testing.T) {
	sim := modeltest.Collect()
	e := &exporter{p2p: true}
	d := export(t, sim, e)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		dmabuf.Get(p, d) // the importer's dma_buf_get
		a, err := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, "priv")
		require.NoError(t, err)
		require.True(t, a.Peer2Peer)
		require.Equal(t, "priv", a.ImporterPriv())
		require.Same(t, d, a.Buf())
		require.Equal(t, "gpu1", a.Dev().Name())
		require.Len(t, d.Attachments(), 1)

		lock(p, d)
		s1, err := dmabuf.MapAttachment(p, a)
		require.NoError(t, err)
		s2, _ := dmabuf.MapAttachment(p, a) // the mapping is returned again
		require.Same(t, s1, s2)
		dmabuf.MoveNotify(p, d) // the importer unmaps
		require.False(t, a.Mapped())
		_, _ = dmabuf.MapAttachment(p, a) // and maps again
		require.NoError(t, dmabuf.Pin(p, a))
		dmabuf.Unpin(p, a)
		d.Resv().Unlock(p)

		dmabuf.Detach(p, a) // unmaps the mapping still held
		require.True(t, a.Detached())
		dmabuf.Put(p, d) // the importer's reference
		require.Equal(t, 1, d.Refs())
		dmabuf.Put(p, d) // the exporter's: release
		require.True(t, d.Released())
	})
	modeltest.OK(t, sim.Run())
	require.Equal(t, []string{"attach", "map#1", "unmap#1", "map#2", "unmap#2", "detach", "release"}, e.calls)
}

// The exporter's Attach clears peer2peer; an Attach error refuses the attachment.
func TestAttachOp(t *testing.T) {
	sim := modeltest.Collect()
	e := &exporter{p2p: false}
	d := export(t, sim, e)
	refuse := errors.New("-EBUSY")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		a, err := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
		require.NoError(t, err)
		require.False(t, a.Peer2Peer)
		dmabuf.Detach(p, a)
		ops := e.ops()
		ops.Attach = func(*des.Proc, *dmabuf.DmaBuf, *dmabuf.Attachment) error { return refuse }
		d2, err := dmabuf.Export(sim, p, dmabuf.ExportInfo{Name: "dmabuf:2", Ops: ops, Priv: e})
		require.NoError(t, err)
		require.NotNil(t, d2.Resv()) // a resv of its own
		_, err = dmabuf.DynamicAttach(p, d2, dev("gpu1"), importer, nil)
		require.ErrorIs(t, err, refuse)
		require.Empty(t, d2.Attachments())
	})
	modeltest.OK(t, sim.Run())
}

// Oracle (a), dma_resv_assert_held: each resv-held call, made by a process that does not
// hold the resv (nobody holds it, or another process does), is a lock-order violation; the
// same calls under the lock pass (TestLifecycle, TestMoveNotifyHeldByCaller).
func TestResvNotHeld(t *testing.T) {
	calls := []struct {
		name   string
		premap bool // map under the lock first
		fn     func(p *des.Proc, d *dmabuf.DmaBuf, a *dmabuf.Attachment)
	}{
		{"dma_buf_map_attachment", false, func(p *des.Proc, _ *dmabuf.DmaBuf, a *dmabuf.Attachment) {
			_, _ = dmabuf.MapAttachment(p, a)
		}},
		{"dma_buf_unmap_attachment", true, func(p *des.Proc, _ *dmabuf.DmaBuf, a *dmabuf.Attachment) {
			dmabuf.UnmapAttachment(p, a)
		}},
		{"dma_buf_move_notify", false, func(p *des.Proc, d *dmabuf.DmaBuf, _ *dmabuf.Attachment) { dmabuf.MoveNotify(p, d) }},
		{"dma_buf_pin", false, func(p *des.Proc, _ *dmabuf.DmaBuf, a *dmabuf.Attachment) { _ = dmabuf.Pin(p, a) }},
		{"dma_buf_unpin", false, func(p *des.Proc, _ *dmabuf.DmaBuf, a *dmabuf.Attachment) { dmabuf.Unpin(p, a) }},
	}
	for _, c := range calls {
		for _, other := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/other=%v", c.name, other), func(t *testing.T) {
				sim := modeltest.Collect()
				d := export(t, sim, &exporter{})
				sim.Spawn("importer", des.Task, func(p *des.Proc) {
					a, err := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
					require.NoError(t, err)
					if c.premap {
						lock(p, d)
						_, _ = dmabuf.MapAttachment(p, a)
						d.Resv().Unlock(p)
					}
					p.Sleep(2 * des.Microsecond) // while the holder (if any) has the resv
					c.fn(p, d, a)
				})
				if other {
					sim.Spawn("holder", des.Task, func(p *des.Proc) {
						p.Sleep(des.Microsecond)
						lock(p, d)
						p.Sleep(10 * des.Microsecond)
						d.Resv().Unlock(p)
					})
				}
				modeltest.Only(t, sim.Run(), oracle.LockOrder, "WARNING: at drivers/dma-buf/dma-buf.c "+c.name+
					"\nCPU: 0 PID: 0 Comm: importer\nlockdep_assert_held(&resv:bo->lock.base)\n")
			})
		}
	}
}

// The other half of the locking convention: dma_buf_dynamic_attach and dma_buf_detach take
// the resv themselves, so an importer calling them with it held deadlocks on itself; lockdep
// reports the recursion first. Called without it they pass (TestLifecycle).
func TestResvHeldByAttachDetachCaller(t *testing.T) {
	for _, detach := range []bool{false, true} {
		t.Run(fmt.Sprintf("detach=%v", detach), func(t *testing.T) {
			sim := modeltest.Collect()
			d := export(t, sim, &exporter{})
			sim.Spawn("importer", des.Task, func(p *des.Proc) {
				var a *dmabuf.Attachment
				if detach {
					a, _ = dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
				}
				lock(p, d)
				if detach {
					dmabuf.Detach(p, a)
				} else {
					_, _ = dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
				}
			})
			modeltest.First(t, sim.Run(), oracle.LockOrder, "possible recursive locking detected")
		})
	}
}

// The same move_notify with the resv held by the exporter does not fire, and reaches the
// importer: the passing side of oracle (a) for MoveNotify from another process's view.
func TestMoveNotifyHeldByCaller(t *testing.T) {
	sim := modeltest.Collect()
	d := export(t, sim, &exporter{})
	var a *dmabuf.Attachment
	sim.Spawn("importer", des.Task, func(p *des.Proc) {
		a, _ = dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
		lock(p, d)
		_, _ = dmabuf.MapAttachment(p, a)
		d.Resv().Unlock(p)
	})
	sim.Spawn("evict", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		lock(p, d)
		dmabuf.MoveNotify(p, d)
		d.Resv().Unlock(p)
	})
	modeltest.OK(t, sim.Run())
	require.False(t, a.Mapped())
}

// Oracle (b), use after the final Put: every dma-buf call on a released dma-buf, and every
// attachment call after Detach, is a use-after-free; the same calls before are fine
// (TestLifecycle).
func TestUseAfterFree(t *testing.T) {
	type call struct {
		name string
		fn   func(p *des.Proc, d *dmabuf.DmaBuf, a *dmabuf.Attachment)
	}
	afterPut := []call{
		{"get_dma_buf", func(p *des.Proc, d *dmabuf.DmaBuf, _ *dmabuf.Attachment) { dmabuf.Get(p, d) }},
		{"dma_buf_put", func(p *des.Proc, d *dmabuf.DmaBuf, _ *dmabuf.Attachment) { dmabuf.Put(p, d) }},
		{"dma_buf_dynamic_attach", func(p *des.Proc, d *dmabuf.DmaBuf, _ *dmabuf.Attachment) {
			_, err := dmabuf.DynamicAttach(p, d, dev("gpu2"), importer, nil)
			if !errors.Is(err, dmabuf.ErrInval) {
				panic("attached to a released dma-buf")
			}
		}},
		{"dma_buf_move_notify", func(p *des.Proc, d *dmabuf.DmaBuf, _ *dmabuf.Attachment) { dmabuf.MoveNotify(p, d) }},
	}
	afterDetach := []call{
		{"dma_buf_map_attachment", func(p *des.Proc, d *dmabuf.DmaBuf, a *dmabuf.Attachment) {
			lock(p, d)
			_, _ = dmabuf.MapAttachment(p, a)
			d.Resv().Unlock(p)
		}},
		{"dma_buf_unmap_attachment", func(p *des.Proc, d *dmabuf.DmaBuf, a *dmabuf.Attachment) {
			lock(p, d)
			dmabuf.UnmapAttachment(p, a)
			d.Resv().Unlock(p)
		}},
		{"dma_buf_detach", func(p *des.Proc, _ *dmabuf.DmaBuf, a *dmabuf.Attachment) { dmabuf.Detach(p, a) }},
		{"dma_buf_pin", func(p *des.Proc, d *dmabuf.DmaBuf, a *dmabuf.Attachment) {
			lock(p, d)
			_ = dmabuf.Pin(p, a)
			d.Resv().Unlock(p)
		}},
		{"dma_buf_unpin", func(p *des.Proc, d *dmabuf.DmaBuf, a *dmabuf.Attachment) {
			lock(p, d)
			dmabuf.Unpin(p, a)
			d.Resv().Unlock(p)
		}},
	}
	run := func(t *testing.T, c call, put bool) {
		sim := modeltest.Collect()
		d := export(t, sim, &exporter{})
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			a, err := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
			require.NoError(t, err)
			dmabuf.Detach(p, a)
			if put {
				dmabuf.Put(p, d)
			}
			c.fn(p, d, a)
		})
		modeltest.Only(t, sim.Run(), oracle.UseAfterFree, "BUG: KASAN: slab-use-after-free in "+c.name+"\n",
			"Freed by task 0 (app):")
	}
	for _, c := range afterPut {
		t.Run("put/"+c.name, func(t *testing.T) { run(t, c, true) })
	}
	for _, c := range afterDetach {
		t.Run("detach/"+c.name, func(t *testing.T) { run(t, c, false) })
	}
	// Attaching to a dma-buf whose other references still exist is fine.
	sim := modeltest.Collect()
	d := export(t, sim, &exporter{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		dmabuf.Get(p, d)
		dmabuf.Put(p, d)
		a, err := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
		require.NoError(t, err)
		dmabuf.Detach(p, a)
		dmabuf.MoveNotify(p, d) // no resv held: but this is a lock-order, not a use-after-free
	})
	r := sim.Run()
	modeltest.Only(t, r, oracle.LockOrder, "dma_buf_move_notify")
}

// The kernel's WARN_ONs, reported as panic: each fires on the wrong use and not on the right
// one.
func TestWarnings(t *testing.T) {
	t.Run("export-missing-op", func(t *testing.T) {
		sim := modeltest.Collect()
		e := &exporter{}
		for _, drop := range []func(o *dmabuf.Ops){
			func(o *dmabuf.Ops) { o.MapDmaBuf = nil },
			func(o *dmabuf.Ops) { o.UnmapDmaBuf = nil },
			func(o *dmabuf.Ops) { o.Release = nil },
			func(o *dmabuf.Ops) { o.Pin = func(*des.Proc, *dmabuf.Attachment) error { return nil } },
		} {
			ops := e.ops()
			drop(ops)
			_, err := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:x", Ops: ops, Priv: e})
			require.ErrorIs(t, err, dmabuf.ErrInval)
		}
		_, err := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:x", Priv: e})
		require.ErrorIs(t, err, dmabuf.ErrInval)
		ops := e.ops()
		ops.Pin = func(*des.Proc, *dmabuf.Attachment) error { return nil }
		ops.Unpin = func(*des.Proc, *dmabuf.Attachment) {}
		_, err = dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:ok", Ops: ops, Priv: e})
		require.NoError(t, err)
		r := sim.Run()
		require.Len(t, r.Violations, 5)
		for _, v := range r.Violations {
			require.Equal(t, oracle.Panic, v.Kind)
			require.Contains(t, v.Msg, "WARNING: at drivers/dma-buf/dma-buf.c dma_buf_export\n")
		}
	})
	// dma_buf_export's WARN_ON(!exp_info->priv): an exporter without its object is refused;
	// the same export with one passes.
	t.Run("export-without-priv", func(t *testing.T) {
		for _, priv := range []any{nil, "bo"} {
			sim := modeltest.Collect()
			_, err := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:x", Ops: (&exporter{}).ops(), Priv: priv})
			r := sim.Run()
			if priv != nil {
				require.NoError(t, err)
				modeltest.OK(t, r)
				continue
			}
			require.ErrorIs(t, err, dmabuf.ErrInval)
			modeltest.Only(t, r, oracle.Panic, "dma_buf_export(dmabuf:x) without priv")
		}
	})
	cases := []struct {
		name, want string
		wrong      func(p *des.Proc, d *dmabuf.DmaBuf)
		right      func(p *des.Proc, d *dmabuf.DmaBuf)
	}{
		{"attach-without-move-notify", "without move_notify",
			func(p *des.Proc, d *dmabuf.DmaBuf) {
				_, err := dmabuf.DynamicAttach(p, d, dev("gpu1"), &dmabuf.ImporterOps{}, nil)
				if !errors.Is(err, dmabuf.ErrInval) {
					panic("attached without move_notify")
				}
			},
			func(p *des.Proc, d *dmabuf.DmaBuf) {
				a, _ := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
				dmabuf.Detach(p, a)
			}},
		{"unmap-without-mapping", "without a mapping",
			func(p *des.Proc, d *dmabuf.DmaBuf) {
				a, _ := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
				lock(p, d)
				dmabuf.UnmapAttachment(p, a)
				d.Resv().Unlock(p)
			},
			func(p *des.Proc, d *dmabuf.DmaBuf) {
				a, _ := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
				lock(p, d)
				_, _ = dmabuf.MapAttachment(p, a)
				dmabuf.UnmapAttachment(p, a)
				d.Resv().Unlock(p)
			}},
		{"release-with-attachments", "with attachments still listed",
			func(p *des.Proc, d *dmabuf.DmaBuf) {
				_, _ = dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
				dmabuf.Put(p, d)
			},
			func(p *des.Proc, d *dmabuf.DmaBuf) {
				a, _ := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
				dmabuf.Detach(p, a)
				dmabuf.Put(p, d)
			}},
	}
	for _, c := range cases {
		for _, wrong := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/wrong=%v", c.name, wrong), func(t *testing.T) {
				sim := modeltest.Collect()
				d := export(t, sim, &exporter{})
				body := c.right
				if wrong {
					body = c.wrong
				}
				sim.Spawn("app", des.Task, func(p *des.Proc) { body(p, d) })
				r := sim.Run()
				if !wrong {
					modeltest.OK(t, r)
					return
				}
				modeltest.Only(t, r, oracle.Panic, c.want)
			})
		}
	}
}

// A map error is returned and nothing is cached; a nil table without an error is -ENOMEM.
func TestMapErrors(t *testing.T) {
	sim := modeltest.Collect()
	e := &exporter{}
	ops := e.ops()
	fail := errors.New("-ENODEV")
	var ret error
	ops.MapDmaBuf = func(*des.Proc, *dmabuf.Attachment) (dmabuf.SGTable, error) { return nil, ret }
	d, err := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:e", Ops: ops, Priv: e})
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		a, _ := dmabuf.DynamicAttach(p, d, dev("gpu1"), importer, nil)
		lock(p, d)
		ret = fail
		_, err := dmabuf.MapAttachment(p, a)
		require.ErrorIs(t, err, fail)
		require.False(t, a.Mapped())
		ret = nil
		_, err = dmabuf.MapAttachment(p, a)
		require.ErrorIs(t, err, dmabuf.ErrNoMem)
		d.Resv().Unlock(p)
		dmabuf.Detach(p, a)
	})
	modeltest.OK(t, sim.Run())
}

// pinning is an exporter with pin/unpin (a dynamic exporter).
func (e *exporter) pinning(fail bool) *dmabuf.Ops {
	ops := e.ops()
	ops.Pin = func(p *des.Proc, a *dmabuf.Attachment) error {
		e.calls = append(e.calls, "pin")
		if fail {
			return dmabuf.ErrInval
		}
		return nil
	}
	ops.Unpin = func(*des.Proc, *dmabuf.Attachment) { e.calls = append(e.calls, "unpin") }
	return ops
}

// A static importer of a dynamic exporter pins and maps at attach (dma_buf_dynamic_attach
// with no importer ops); the cached mapping survives unmap and move_notify and goes, with
// the pin, at detach. A static exporter is mapped only on demand.
func TestStaticImporterPinsAtAttach(t *testing.T) {
	sim := modeltest.Collect()
	e := &exporter{}
	d, err := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:bo", Ops: e.pinning(false), Resv: fence.NewResv(sim, "resv:bo"), Priv: e})
	require.NoError(t, err)
	s := &exporter{}
	ds := export(t, sim, s)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		a, err := dmabuf.Attach(p, d, dev("v4l2"))
		require.NoError(t, err)
		require.True(t, a.Mapped())
		require.True(t, a.Cached())
		lock(p, d)
		sgt, err := dmabuf.MapAttachment(p, a)
		require.NoError(t, err)
		require.Equal(t, a.SGT(), sgt)
		dmabuf.UnmapAttachment(p, a) // the cached mapping stays
		dmabuf.MoveNotify(p, d)      // nothing to notify: the buffer is pinned
		require.True(t, a.Mapped())
		d.Resv().Unlock(p)
		dmabuf.Detach(p, a)
		dmabuf.Put(p, d)

		b, err := dmabuf.Attach(p, ds, dev("v4l2"))
		require.NoError(t, err)
		require.False(t, b.Mapped())
		dmabuf.Detach(p, b)
		dmabuf.Put(p, ds)
	})
	modeltest.OK(t, sim.Run())
	require.Equal(t, []string{"attach", "pin", "map#1", "unmap#1", "unpin", "detach", "release"}, e.calls)
	require.Equal(t, []string{"attach", "detach", "release"}, s.calls)
}

// A pin that fails undoes the attach (-EINVAL, detached); attaching to a released dma-buf
// is a use-after-free.
func TestStaticAttachErrors(t *testing.T) {
	sim := modeltest.Collect()
	e := &exporter{}
	d, err := dmabuf.Export(sim, nil, dmabuf.ExportInfo{Name: "dmabuf:bo", Ops: e.pinning(true), Resv: fence.NewResv(sim, "resv:bo"), Priv: e})
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		_, err := dmabuf.Attach(p, d, dev("v4l2"))
		require.ErrorIs(t, err, dmabuf.ErrInval)
		require.Empty(t, d.Attachments())
		dmabuf.Put(p, d)
		_, err = dmabuf.Attach(p, d, dev("v4l2"))
		require.ErrorIs(t, err, dmabuf.ErrInval)
	})
	r := sim.Run()
	modeltest.Only(t, r, oracle.UseAfterFree, "dma_buf_attach")
	require.Equal(t, []string{"attach", "pin", "detach", "release"}, e.calls)
}
