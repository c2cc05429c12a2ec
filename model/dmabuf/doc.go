// Package dmabuf models struct dma_buf: a buffer an exporter driver shares with importer
// devices, with its file reference count, its reservation object (a *fence.Resv, usually the
// exported BO's), the exporter's dma_buf_ops and the dynamic attachments of importers.
//
// The API has the kernel's names: Export (dma_buf_export), Get/Put (get_dma_buf/dma_buf_put;
// the last Put runs the exporter's Release), DynamicAttach (dma_buf_dynamic_attach with
// ImporterOps.MoveNotify), Attach (dma_buf_attach: a static importer), Detach, MapAttachment/UnmapAttachment (dma_buf_map_attachment /
// dma_buf_unmap_attachment through the exporter's MapDmaBuf/UnmapDmaBuf), MoveNotify
// (dma_buf_move_notify) and Pin/Unpin. What the mapping is (an sg table of bus addresses,
// an IOMMU mapping) and what the driver traces stays in the drivers, in their ops.
//
// Oracles:
//
//   - lock-order: MapAttachment, UnmapAttachment, MoveNotify, Pin or Unpin called by a
//     process that does not hold the dma-buf's resv — the kernel's dma_resv_assert_held
//     (lockdep_assert_held) WARN, reported as model/lock and model/fence report it.
//   - use-after-free: Get, Put, DynamicAttach, MoveNotify, MapAttachment, UnmapAttachment,
//     Pin, Unpin or Detach on a dma-buf after its final Put, or on an attachment after its
//     Detach (KASAN's report: allocated by, freed by, used by).
//   - panic (a WARN with panic_on_warn, as model/fence reports WARN_ON): Export without
//     priv, map_dma_buf, unmap_dma_buf or release, or with only one of pin/unpin; DynamicAttach
//     without move_notify; UnmapAttachment of an attachment that holds no mapping; the final
//     Put of a dma-buf that still has attachments (dma_buf_release's WARN_ON).
//
// Kernel sources read (Linux v6.12, the Android common kernel tree GrapheneOS/kernel_common-6.12:
// dma-buf.c at 2913cc07, dma-buf.h at 45ae7f0b; an older torvalds/linux dma-buf.c, ~v6.1 at
// 0148b24e, for the v6.2 change that made map/unmap assert the resv for every importer):
//
//   - drivers/dma-buf/dma-buf.c: dma_buf_export (WARN_ON on missing priv / map_dma_buf /
//     unmap_dma_buf / release and on pin without unpin), dma_buf_get/dma_buf_put (file
//     references), dma_buf_release (ops->release, WARN_ON(!list_empty(&dmabuf->attachments))),
//     dma_buf_dynamic_attach (peer2peer from importer_ops->allow_peer2peer, ops->attach, list
//     add under dma_resv_lock; for a static importer of a dynamic exporter ops->pin and
//     __map_dma_buf under the resv, the sgt cached in attach->sgt), dma_buf_attach, dma_buf_detach (under the resv: unmap the cached sgt, list del;
//     then ops->detach), dma_buf_pin/unpin, dma_buf_map_attachment and
//     dma_buf_unmap_attachment (dma_resv_assert_held; a cached attach->sgt is returned again;
//     WARN_ON(!sg_table)), dma_buf_move_notify (dma_resv_assert_held, then move_notify of
//     every attachment with importer_ops), and the "locking convention" DOC comment (which
//     calls need the resv held, which must not hold it).
//   - include/linux/dma-buf.h: struct dma_buf_ops, struct dma_buf (attachments protected by
//     the resv; the dynamic importer rules), struct dma_buf_attach_ops (allow_peer2peer,
//     move_notify "called with the lock of the reservation object held"), struct
//     dma_buf_attachment, dma_buf_is_dynamic, dma_buf_attachment_is_dynamic.
//
// Simplified, one line each:
//
//   - static importers (Attach, dma_buf_attach) get the kernel's treatment of a dynamic
//     exporter (one with Pin): pinned and mapped at attach under the resv, the mapping cached
//     until Detach (which unmaps and unpins), skipped by MoveNotify (v6.12 dma-buf.c;
//     later kernels pin at map time instead, dma_buf_pin_on_map, with the same pin lifetime
//     for the model's purposes);
//   - a dynamic importer of an exporter without Pin is not mapped at attach (the kernel
//     caches a mapping there): every exporter of the model (p2p's amdgpu, xe) has Pin, so
//     it does not arise outside tests, which use pin-less exporters for lazy mappings;
//   - exporters are treated as dynamic with CONFIG_DMABUF_MOVE_NOTIFY=y: MapAttachment never
//     pins, Pin/Unpin are the explicit dma_buf_pin/unpin and the static importer's attach;
//   - an attachment holds at most one mapping, the importer's current one (as attach->sgt
//     does for a cached mapping): MapAttachment returns it while it exists, UnmapAttachment
//     gives it back, Detach unmaps one still held — the drivers keep exactly one mapping per
//     attachment and map again lazily after move_notify;
//   - one direction (DMA_BIDIRECTIONAL) for every mapping: no direction argument, no -EBUSY;
//   - attachments are kept in attach order and move_notify walks them oldest first (the
//     kernel's list_add puts the newest first); no driver of the model depends on the order;
//   - the last Put runs Release at once, in the caller's context: the kernel's last fput
//     defers dma_buf_release to task_work or delayed_fput (fs/file_table.c);
//   - no file descriptors: Export returns the dma-buf with the exporter's reference and Get
//     stands for dma_buf_get(fd) as for get_dma_buf;
//   - lifetimes are checked in place (KASAN-style reports without model/kasan's alloc/free
//     trace events), so drivers moved onto this package keep their traces;
//   - no vmap, mmap, CPU access, poll or sync-file ioctls (drivers model those they need on
//     the resv directly).
package dmabuf
