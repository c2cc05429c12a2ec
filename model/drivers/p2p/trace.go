package p2p

import (
	"hotplugsim/des"
	"hotplugsim/model/sched"
)

// Trace span kinds and the ioctl names (made once).
var (
	evIoctlBegin      = des.L("ioctl:begin")
	evIoctlEnd        = des.L("ioctl:end")
	evEvictBegin      = des.L("evict:begin")
	evEvictEnd        = des.L("evict:end")
	evMoveBegin       = des.L("move:begin")
	evMoveEnd         = des.L("move:end")
	evMigrateBegin    = des.L("migrate:begin")
	evMigrateEnd      = des.L("migrate:end")
	evMoveNotifyBegin = des.L("move_notify:begin")
	evMoveNotifyEnd   = des.L("move_notify:end")
	evAttachBegin     = des.L("attach:begin")
	evAttachEnd       = des.L("attach:end")
	evReleaseBegin    = des.L("release:begin")
	evReleaseEnd      = des.L("release:end")
	evExport          = des.L("dma_buf_export")

	evGemCreate      = des.L("AMDGPU_GEM_CREATE")
	evGemClose       = des.L("DRM_IOCTL_GEM_CLOSE")
	evHandleToFD     = des.L("DRM_IOCTL_PRIME_HANDLE_TO_FD")
	evFDToHandle     = des.L("DRM_IOCTL_PRIME_FD_TO_HANDLE")
	evCS             = des.L("AMDGPU_CS")
	evImportSyncFile = des.L("DMA_BUF_IOCTL_IMPORT_SYNC_FILE")
)

func pushJob(p *des.Proc, j *sched.Job) { sched.PushJob(p, j) }
