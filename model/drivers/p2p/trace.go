package p2p

import (
	"hotplugsim/des"
	"hotplugsim/model/sched"
)

// Trace span kinds and the ioctl names (made once).
var (
	spIoctl      = des.NewSpan("ioctl")
	spEvict      = des.NewSpan("evict")
	spMove       = des.NewSpan("move")
	spMigrate    = des.NewSpan("migrate")
	spMoveNotify = des.NewSpan("move_notify")
	spAttach     = des.NewSpan("attach")
	spRelease    = des.NewSpan("release")
	evExport     = des.L("dma_buf_export")

	evGemCreate      = des.L("AMDGPU_GEM_CREATE")
	evGemClose       = des.L("DRM_IOCTL_GEM_CLOSE")
	evHandleToFD     = des.L("DRM_IOCTL_PRIME_HANDLE_TO_FD")
	evFDToHandle     = des.L("DRM_IOCTL_PRIME_FD_TO_HANDLE")
	evCS             = des.L("AMDGPU_CS")
	evImportSyncFile = des.L("DMA_BUF_IOCTL_IMPORT_SYNC_FILE")
)

func pushJob(p *des.Proc, j *sched.Job) { sched.PushJob(p, j) }
