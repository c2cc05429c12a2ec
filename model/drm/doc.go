// Package drm models the DRM core objects a hot-unplug races with: struct drm_device with
// its refcount and managed (drmm) release actions, drm_file open/close, drm_dev_enter /
// drm_dev_exit / drm_dev_unplug on the one global drm_unplug_srcu, devm-managed device
// allocation, and the ioctl dispatcher.
//
// GEM (gem.go, prime.go): struct drm_gem_object with its kref and handle count, each
// drm_file's handle table (object_idr: the lowest free handle from 1) and prime table, GEM
// handle create / lookup / delete, drm_gem_release at close (every handle, ascending, before
// postclose), and PRIME export/import: one cached dma-buf per exported object (obj->dma_buf,
// dropped with the last handle), self-import giving back the exported object, a foreign
// import making a new object that holds the dma-buf, and a re-import on the same file giving
// the same handle. A closed handle is -ENOENT on lookup and -EINVAL on GEM_CLOSE (errors, not
// violations); a get, put or Access of a freed object is KASAN's use-after-free.
//
// Oracles:
//   - oracle.IoctlAfterUnplug: on a device whose driver promises that ioctls after unplug
//     fail with -ENODEV (Driver.IoctlsFailAfterUnplug), an ioctl handler completes without
//     -ENODEV after drm_dev_unplug's synchronize_srcu returned: it was neither refused by
//     the dispatcher nor fenced by a drm_dev_enter section.
//   - oracle.UseAfterFree (through model/kasan): the drm_device is used (enter, get, open,
//     ioctl, drmm_add_action) after its final drm_dev_put freed it.
//   - fault site SiteMinorRegister (des.Config.Faults): DevRegister fails part way as
//     drm_dev_register's err_minors path does, the render minor registered (an open can get
//     in) and unregistered again when the primary's drm_minor_register fails; -ENOMEM.
//   - lifecycle: DevRegister of a registered device panics (drm_minor_register would
//     device_add the minors twice). DevUnregister and DevUnplug are not checked: drm_drv.c
//     tolerates them on an unregistered device (drm_minor_unregister returns early for a
//     minor that is not registered) and drm_dev_unplug twice only repeats idempotent steps.
//
// Sources read (Linux ~v6.16):
//   - drivers/gpu/drm/drm_drv.c: drm_dev_enter (srcu_read_lock on drm_unplug_srcu, false
//     and unlocked if dev->unplugged), drm_dev_exit, drm_dev_unplug (unplugged = true;
//     synchronize_srcu; drm_dev_unregister; unmap_mapping_range(anon inode, 0, 0, 1)),
//     drm_dev_init (kref_init, drmm drm_dev_init_release, anon inode),
//     devm_drm_dev_init (devm action drm_dev_put), drm_dev_release (driver->release, then
//     drm_managed_release), drm_dev_get / drm_dev_put (kref: a get or put at 0 is
//     lib/refcount.c's "refcount_t: addition on 0 / underflow; use-after-free"),
//     drm_dev_register (render, primary and accel minors in that order; err_minors
//     unregisters them).
//   - drivers/gpu/drm/drm_managed.c: drmm_add_action, drm_managed_release (actions run in
//     reverse order of registration at the final put).
//   - drivers/gpu/drm/drm_file.c: drm_open (drm_minor_acquire: dev get, -ENODEV if
//     unplugged; open_count++ before drm_open_helper calls driver->open, err_undo
//     decrements without lastclose), drm_release (drm_close_helper: list_del, postclose;
//     --open_count == 0 -> lastclose; drm_minor_release -> drm_dev_put).
//   - drivers/gpu/drm/drm_ioctl.c: drm_ioctl returns -ENODEV if drm_dev_is_unplugged before
//     it looks the number up (-EINVAL), copies the argument in (copy_from_user, in_size from
//     the number's IOC_IN), then drm_ioctl_kernel calls the handler (NOT under
//     drm_dev_enter: drivers such as amdgpu wrap their roots in it; IoctlDevEnter models that),
//     then copies it out (copy_to_user, out_size, whatever the handler returned). Both copies
//     and a handler's own (CopyFromUser, CopyToUser) are mm's MightFault on File.MM (lockdep:
//     the held locks -> &mm->mmap_lock; in atomic context a sleeping-function bug).
//   - Versions: drm_drv.c/drm_managed.c/drm_file.c of a recent mainline snapshot (its
//     drm_lastclose no longer calls the driver); drm_ioctl.c from post-v5.14 copies.
//   - drivers/gpu/drm/drm_gem.c (v6.16): drm_gem_private_object_init (kref_init),
//     drm_gem_handle_create_tail (handle_count++, idr_alloc(1, 0)), drm_gem_object_lookup
//     (reference under table_lock), drm_gem_handle_delete (-EINVAL), drm_gem_object_release_handle,
//     drm_gem_object_handle_put_unlocked (last handle: drm_gem_object_exported_dma_buf_free),
//     drm_gem_release (idr_for_each), drm_gem_object_free (funcs->free).
//   - drivers/gpu/drm/drm_prime.c (v6.16): drm_gem_prime_handle_to_fd (prime lookup,
//     obj->import_attach re-export, export_and_register_object caching obj->dma_buf),
//     drm_gem_prime_fd_to_handle (drm_prime_lookup_buf_handle, obj->dma_buf cache),
//     drm_gem_prime_import (self-import takes an object reference), drm_gem_dmabuf_export /
//     drm_gem_dmabuf_release (object and device references), drm_prime_gem_destroy.
//   - drivers/gpu/drm/drm_file.c: drm_file_free calls drm_gem_release before postclose.
//   - include/drm/drm_drv.h: drm_dev_is_unplugged = !drm_dev_enter (then exit).
//   - the amdgpu hot-unplug v6 thread (amdgpu hot-unplug v6): drm_dev_enter/exit at the roots of ioctls, the
//     device kept alive until the last user reference is dropped.
//
// Simplified:
//   - One minor per device, no master/auth/permission checks, no legacy global mutex (so
//     DRM_UNLOCKED changes nothing), one unplugged check per ioctl (drm_ioctl.c has two,
//     with only copy_from_user between them);
//   - user copies carry no data and never fail (-EFAULT): only might_fault's annotations.
//   - Driver.Lastclose: drm_driver.lastclose is gone from mainline since ~v6.12 (drm_file.c);
//     kept for the v1-v5 amdgpu policy, which waited on it.
//   - A drmm action added during drm_managed_release runs here; drm_managed.c's list walk
//     would skip it (a leak).
//   - drm_dev_unregister only stops new opens (no sysfs, no minors, no debugfs).
//   - GEM: no mmap offsets (drm_vma_node), flink names, obj->funcs->open/close, or resv; the
//     handle table is not locked (each operation is one step after its scheduling point).
//   - PRIME: the dma-buf here is a minimal one (file refcount, exported object), not a
//     model/dmabuf.DmaBuf: no attachments or mappings; an import holds one reference as its attachment.
//   - The devm list of the parent is whatever implements Devres (model/pci.Devres does);
//     the package does not run it.
package drm
