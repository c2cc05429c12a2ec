package xe_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/drm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/ttm"
)

// world is a platform of n xe devices ("xe0", "xe1", ...) under one policy, probed by a boot
// process that then runs body.
func world(t *testing.T, pol string, n int, opts *xe.Options, body func(p *des.Proc, pl *xe.Platform)) (des.Result, *des.Sim) {
	t.Helper()
	sim := des.MustNew(des.Config{Seed: 1, Strategy: "fifo", TraceRing: 1 << 14})
	var cfg xe.PlatformConfig
	for i := range n {
		cfg.Devices = append(cfg.Devices, xe.DeviceConfig{Name: "xe" + string(rune('0'+i)), Policy: pol, Options: opts})
	}
	pl, err := xe.NewPlatform(sim, cfg)
	require.NoError(t, err)
	sim.Spawn("test", des.Task, func(p *des.Proc) {
		require.NoError(t, pl.ProbeAll(p))
		body(p, pl)
	})
	return sim.Run(), sim
}

func traced(sim *des.Sim, kind string) int {
	n := 0
	for _, e := range sim.Trace() {
		if e.Kind.String() == kind {
			n++
		}
	}
	return n
}

func requireUAF(t *testing.T, r des.Result, want ...string) {
	t.Helper()
	require.NotEmpty(t, r.Violations, "expected a use-after-free")
	v := r.Violations[0]
	assert.Equal(t, oracle.UseAfterFree, v.Kind, v.String())
	for _, w := range want {
		assert.Contains(t, v.Msg, w)
	}
}

// The seed's bug: with xe_migrate_fini as a drmm action, an app that merely holds the device
// open across the remove makes the last drm_dev_put unmap the page-table BO through the
// released IOMMU group. As a devm action (and with clear-mappings) it runs before the release.
func TestMigrateFiniDrmmVsDevm(t *testing.T) {
	for _, pol := range policy.Names(xe.Policies) {
		t.Run(pol, func(t *testing.T) {
			r, sim := world(t, pol, 1, nil, func(p *des.Proc, pl *xe.Platform) {
				gpu := pl.Device("xe0")
				c, err := gpu.Open(p, "idle")
				require.NoError(t, err)
				gpu.Remove(p)
				assert.False(t, gpu.Bound())
				require.NoError(t, c.Close(p)) // the final drm_dev_put
			})
			if pol == xe.DrmmMigrate {
				requireUAF(t, r, "has pending DMA allocations while released from device", "DMA-API: pci 0000:03:00.0: ", "Comm: test\n", "after the release by task 0 (test)")
				assert.Equal(t, 1, traced(sim, "xe_migrate_fini"))
				return
			}
			require.True(t, r.OK(), r.Violations)
			assert.Equal(t, 1, traced(sim, "xe_migrate_fini"))
			assert.Equal(t, 1, traced(sim, "unplug:begin"))
			assert.Equal(t, 1, traced(sim, "unplug:end"))
			assert.Zero(t, traced(sim, "iommu-leaked-mappings"), "every mapping went before the group")
		})
	}
}

// Each kind of DMA mapping an app holds across the remove: devm-migrate unmaps it at the late
// close through the freed group; clear-mappings unmapped it at remove.
func TestAppMappingsAtLateClose(t *testing.T) {
	kinds := map[string]func(t *testing.T, p *des.Proc, c *xe.Client){
		"tt-bo": func(t *testing.T, p *des.Proc, c *xe.Client) {
			_, err := c.CreateBO(p, 2, ttm.PlTT)
			require.NoError(t, err)
		},
		"pinned-bo": func(t *testing.T, p *des.Proc, c *xe.Client) {
			b, err := c.CreateBO(p, 1, ttm.PlTT)
			require.NoError(t, err)
			require.NoError(t, c.Pin(p, b, true))
			require.NoError(t, c.Touch(p, b, 0))
			assert.True(t, b.Pinned())
		},
		"userptr": func(t *testing.T, p *des.Proc, c *xe.Client) {
			u, err := c.CreateUserptr(p, 2)
			require.NoError(t, err)
			assert.True(t, u.Mapped())
		},
	}
	for _, name := range []string{"tt-bo", "pinned-bo", "userptr"} {
		for _, pol := range []string{xe.DevmMigrate, xe.ClearMappings} {
			t.Run(name+"/"+string(pol), func(t *testing.T) {
				r, sim := world(t, pol, 1, nil, func(p *des.Proc, pl *xe.Platform) {
					gpu := pl.Device("xe0")
					c, err := gpu.Open(p, "app")
					require.NoError(t, err)
					kinds[name](t, p, c)
					gpu.Remove(p)
					require.NoError(t, c.Close(p))
				})
				if pol == xe.DevmMigrate {
					requireUAF(t, r, "has pending DMA allocations while released from device", "DMA-API: pci 0000:03:00.0: ")
					return
				}
				require.True(t, r.OK(), r.Violations)
				assert.Zero(t, traced(sim, "iommu-leaked-mappings"))
			})
		}
	}
}

// The importer side: the attachment is mapped through the importer's group; removing the
// importer must unmap it (clear-mappings), else the importer's late close unmaps through
// the freed group.
func TestImportedAttachmentOnImporterRemoval(t *testing.T) {
	for _, pol := range []string{xe.DevmMigrate, xe.ClearMappings} {
		t.Run(string(pol), func(t *testing.T) {
			r, _ := world(t, pol, 2, nil, func(p *des.Proc, pl *xe.Platform) {
				exp, imp := share(t, p, pl)
				pl.Device("xe1").Remove(p)
				require.ErrorIs(t, imp.ExecWait(p, nil), xe.ErrNoDev, "ioctls after unplug fail with -ENODEV")
				require.NoError(t, imp.Close(p))
				require.NoError(t, exp.Close(p))
			})
			if pol == xe.DevmMigrate {
				requireUAF(t, r, "has pending DMA allocations while released from device", "DMA-API: pci 0000:04:00.0: ")
				return
			}
			require.True(t, r.OK(), r.Violations)
		})
	}
}

// share exports a 2-page VRAM BO from xe0 and imports it on xe1, and runs one importer job.
func share(t *testing.T, p *des.Proc, pl *xe.Platform) (exp, imp *xe.Client) {
	t.Helper()
	exp, err := pl.Device("xe0").Open(p, "exporter")
	require.NoError(t, err)
	imp, err = pl.Device("xe1").Open(p, "importer")
	require.NoError(t, err)
	b, err := exp.CreateBO(p, 2, ttm.PlVRAM)
	require.NoError(t, err)
	e, err := exp.Export(p, b)
	require.NoError(t, err)
	a, err := imp.Import(p, e)
	require.NoError(t, err)
	require.NoError(t, imp.ExecWait(p, a))
	assert.True(t, a.Mapped())
	return exp, imp
}

// The exporter side: removing the exporter while the importer's job reads the VRAM. The
// eviction must notify the importer and wait for its job before the VRAM is freed; without
// the wait it is a gpu-use-after-free. After the eviction the importer maps the system-memory
// copy and keeps working.
func TestExportedVRAMEvictionWaitsForImporters(t *testing.T) {
	for _, wait := range []bool{false, true} {
		name := map[bool]string{false: "no-wait", true: "wait-idle"}[wait]
		t.Run(name, func(t *testing.T) {
			opts := optionsOf(t, xe.ClearMappings)
			opts.WaitIdle = wait
			var sawSystem bool
			r, sim := world(t, "", 2, &opts, func(p *des.Proc, pl *xe.Platform) {
				exp, err := pl.Device("xe0").Open(p, "exporter")
				require.NoError(t, err)
				imp, err := pl.Device("xe1").Open(p, "importer")
				require.NoError(t, err)
				b, err := exp.CreateBO(p, 1, ttm.PlVRAM)
				require.NoError(t, err)
				e, err := exp.Export(p, b)
				require.NoError(t, err)
				a, err := imp.Import(p, e)
				require.NoError(t, err)
				f, err := imp.Exec(p, a) // in flight while xe0 goes
				require.NoError(t, err)
				pl.Device("xe0").Remove(p)
				assert.True(t, a.Mapped(), "xe defers the unmap to the next map")
				sawSystem = e.BO().Placement() == ttm.PlSystem
				f.Wait(p)
				require.NoError(t, imp.ExecWait(p, a), "the importer maps the system copy")
				assert.True(t, a.Mapped())
				require.NoError(t, imp.Close(p))
				require.NoError(t, exp.Close(p))
			})
			if !wait {
				require.NotEmpty(t, r.Violations)
				assert.Equal(t, oracle.GPUUseAfterFree, r.Violations[0].Kind, r.Violations[0].String())
				return
			}
			require.True(t, r.OK(), r.Violations)
			assert.True(t, sawSystem, "the exported BO moved to system memory")
			assert.Equal(t, 1, traced(sim, "dma_buf_move_notify"))
		})
	}
}

// The IGT core_hotunplug flows through the driver-level API under clear-mappings: each ends
// with a healthy device, including a late close of a file of the previous instance.
func TestHotunplugFlowsAndHealthCheck(t *testing.T) {
	flows := map[string]func(t *testing.T, p *des.Proc, pl *xe.Platform, gpu *xe.Driver){
		"unbind-rebind": func(t *testing.T, p *des.Proc, _ *xe.Platform, gpu *xe.Driver) {
			gpu.Unbind(p)
			require.ErrorIs(t, gpu.HealthCheck(p, "igt"), xe.ErrNoDev)
			require.NoError(t, gpu.Bind(p))
		},
		"unplug-rescan": func(t *testing.T, p *des.Proc, pl *xe.Platform, gpu *xe.Driver) {
			gpu.Remove(p)
			require.NoError(t, pl.Rescan(p))
		},
		"hotreplug": func(t *testing.T, p *des.Proc, _ *xe.Platform, gpu *xe.Driver) {
			gpu.SurpriseRemove(p)
			require.NoError(t, gpu.Replug(p))
		},
	}
	for _, name := range []string{"unbind-rebind", "unplug-rescan", "hotreplug"} {
		t.Run(name, func(t *testing.T) {
			r, _ := world(t, xe.ClearMappings, 1, nil, func(p *des.Proc, pl *xe.Platform) {
				gpu := pl.Device("xe0")
				require.NoError(t, gpu.HealthCheck(p, "igt"))
				late, err := gpu.Open(p, "lateclose")
				require.NoError(t, err)
				_, err = late.CreateBO(p, 1, ttm.PlTT)
				require.NoError(t, err)
				_, err = late.CreateUserptr(p, 1)
				require.NoError(t, err)
				old := gpu.Current()
				flows[name](t, p, pl, gpu)
				require.True(t, gpu.Bound())
				assert.NotSame(t, old, gpu.Current(), "a new instance")
				require.NoError(t, gpu.HealthCheck(p, "igt"))
				require.NoError(t, late.Close(p))
				require.NoError(t, gpu.HealthCheck(p, "igt"))
			})
			require.True(t, r.OK(), r.Violations)
		})
	}
}

// A job in flight at surprise removal: its fence is force-signalled with -ENODEV, and the
// health check of the unbound device fails with -ENODEV.
func TestInflightJobAtSurpriseRemoval(t *testing.T) {
	r, _ := world(t, xe.ClearMappings, 1, nil, func(p *des.Proc, pl *xe.Platform) {
		gpu := pl.Device("xe0")
		c, err := gpu.Open(p, "app")
		require.NoError(t, err)
		f, err := c.SubmitNoop(p)
		require.NoError(t, err)
		gpu.SurpriseRemove(p)
		assert.True(t, f.Signalled())
		assert.Equal(t, -19, f.Status())
		require.ErrorIs(t, gpu.HealthCheck(p, "igt"), xe.ErrNoDev)
		require.NoError(t, c.Close(p))
	})
	require.True(t, r.OK(), r.Violations)
}

func TestPolicies(t *testing.T) {
	for _, pol := range xe.Policies {
		got, err := xe.ParsePolicy(pol.Name)
		require.NoError(t, err)
		assert.Equal(t, pol, got)
	}
	def, err := xe.ParsePolicy("")
	require.NoError(t, err)
	assert.Equal(t, xe.ClearMappingsDevEnter, def.Name)
	_, err = xe.ParsePolicy("nope")
	assert.ErrorContains(t, err, "drmm-migrate, devm-migrate, clear-mappings, clear-mappings-dev-enter")
	assert.Equal(t, xe.Options{IoctlDevEnter: true}, optionsOf(t, xe.DrmmMigrate))
	assert.Equal(t, xe.Options{MigrateDevm: true, IoctlDevEnter: true}, optionsOf(t, xe.DevmMigrate))
	assert.True(t, optionsOf(t, xe.ClearMappings).WaitIdle)
	assert.False(t, optionsOf(t, xe.ClearMappings).IoctlDevEnter, "mainline xe_drm_ioctl")
	assert.True(t, optionsOf(t, xe.ClearMappingsDevEnter).IoctlDevEnter)
}

func TestNewPlatformValidates(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, err := xe.NewPlatform(sim, xe.PlatformConfig{})
	assert.Error(t, err)
	_, err = xe.NewPlatform(sim, xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "a"}, {Name: "a"}}})
	assert.ErrorContains(t, err, "duplicate")
	_, err = xe.NewPlatform(des.MustNew(des.Config{}), xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "a", Policy: "x"}}})
	assert.ErrorContains(t, err, `no policy "x"`)
	pl, err := xe.NewPlatform(des.MustNew(des.Config{}), xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "a"}}})
	require.NoError(t, err)
	assert.Nil(t, pl.Device("b"))
	assert.True(t, strings.HasPrefix(pl.Device("a").PCI().Name(), "0000:03"))
}

// xe's importer does not unmap at move_notify: xe_dma_buf_move_notify evicts the importer's
// BO, and xe_bo_move_dmabuf defers the unmap to the next map or to the BO's destruction
// (xe_bo.c). So a mapping the exporter's removal invalidated is still held by an importer
// that does not clear it at its own removal (devm-migrate), and its late close unmaps it
// through its freed group.
func TestMoveNotifyDefersImporterUnmap(t *testing.T) {
	for _, imp := range []string{xe.DevmMigrate, xe.ClearMappings} {
		t.Run(string(imp), func(t *testing.T) {
			sim := des.MustNew(des.Config{Seed: 1, Strategy: "fifo", TraceRing: 1 << 14})
			pl, err := xe.NewPlatform(sim, xe.PlatformConfig{Devices: []xe.DeviceConfig{
				{Name: "xe0", Policy: xe.ClearMappings}, {Name: "xe1", Policy: imp}}})
			require.NoError(t, err)
			sim.Spawn("test", des.Task, func(p *des.Proc) {
				require.NoError(t, pl.ProbeAll(p))
				exp, err := pl.Device("xe0").Open(p, "exporter")
				require.NoError(t, err)
				impc, err := pl.Device("xe1").Open(p, "importer")
				require.NoError(t, err)
				b, err := exp.CreateBO(p, 1, ttm.PlVRAM)
				require.NoError(t, err)
				e, err := exp.Export(p, b)
				require.NoError(t, err)
				a, err := impc.Import(p, e)
				require.NoError(t, err)
				require.NoError(t, impc.ExecWait(p, a))
				pl.Device("xe0").Remove(p)
				assert.True(t, a.Mapped(), "move_notify leaves the mapping to the next map")
				pl.Device("xe1").Remove(p)
				require.NoError(t, impc.Close(p))
				require.NoError(t, exp.Close(p))
			})
			r := sim.Run()
			if imp == xe.DevmMigrate {
				requireUAF(t, r, "has pending DMA allocations while released from device", "DMA-API: pci 0000:04:00.0: ")
				return
			}
			require.True(t, r.OK(), r.Violations)
		})
	}
}

// A static importer (dma_buf_attach) of an xe dma-buf: xe_dma_buf_pin migrates the VRAM BO
// to TT and pins it, the mapping is made at attach through the importer's IOMMU group, and
// detach unmaps and unpins. A BO already pinned outside TT cannot be pinned for dma-buf.
func TestStaticImporterPinsInTT(t *testing.T) {
	r, _ := world(t, "", 2, nil, func(p *des.Proc, pl *xe.Platform) {
		exp, err := pl.Device("xe0").Open(p, "exporter")
		require.NoError(t, err)
		b, err := exp.CreateBO(p, 2, ttm.PlVRAM)
		require.NoError(t, err)
		e, err := exp.Export(p, b)
		require.NoError(t, err)
		att, err := dmabuf.Attach(p, e.DmaBuf(), pl.Device("xe1").PCI())
		require.NoError(t, err)
		assert.True(t, att.Cached())
		assert.Equal(t, ttm.PlTT, e.BO().Placement())
		assert.True(t, e.BO().Pinned())
		dmabuf.Detach(p, att)
		assert.False(t, e.BO().Pinned())

		v, err := exp.CreateBO(p, 1, ttm.PlVRAM)
		require.NoError(t, err)
		require.NoError(t, exp.Pin(p, v, true)) // a scanout pin in VRAM
		ev, err := exp.Export(p, v)
		require.NoError(t, err)
		_, err = dmabuf.Attach(p, ev.DmaBuf(), pl.Device("xe1").PCI())
		assert.ErrorIs(t, err, drm.ErrInval)
		assert.Equal(t, ttm.PlVRAM, ev.BO().Placement())
		require.NoError(t, exp.Pin(p, v, false))
		require.NoError(t, exp.Close(p))
	})
	require.True(t, r.OK(), "%v", r.Violations)
}

// An exec ioctl racing the remove: mainline's xe_drm_ioctl runs the handler outside
// drm_dev_enter (drm_ioctl only refuses an unplugged device at entry), so drm_dev_unplug does
// not wait for it and the ioctl runs on through the teardown; clear-mappings-dev-enter wraps
// the handler in drm_dev_enter and every seed is clean.
func TestExecIoctlRacingRemove(t *testing.T) {
	for _, pol := range []string{xe.ClearMappings, xe.ClearMappingsDevEnter} {
		t.Run(string(pol), func(t *testing.T) {
			var found des.ViolationKind
			for seed := uint64(1); seed <= 200 && found == ""; seed++ {
				sim := des.MustNew(des.Config{Seed: seed, Strategy: "random:5us"})
				pl, err := xe.NewPlatform(sim, xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "xe0", Policy: pol}}})
				require.NoError(t, err)
				probed := des.NewCompletion(sim, "probed")
				sim.Spawn("boot", des.Task, func(p *des.Proc) {
					require.NoError(t, pl.ProbeAll(p))
					probed.Complete()
					p.Sleep(3 * des.Microsecond)
					pl.Device("xe0").Remove(p)
				})
				sim.Spawn("app", des.Task, func(p *des.Proc) {
					probed.Wait(p)
					c, err := pl.Device("xe0").Open(p, "app")
					if err != nil {
						return // the remove came first
					}
					for i := 0; i < 20; i++ {
						if _, err := c.Exec(p, nil); err != nil {
							break
						}
						p.Sleep(des.Microsecond / 2)
					}
					_ = c.Close(p)
				})
				r := sim.Run()
				if v := r.First(); v != nil {
					found = v.Kind
				}
			}
			if pol == xe.ClearMappingsDevEnter {
				assert.Empty(t, found)
				return
			}
			assert.Contains(t, []des.ViolationKind{oracle.IoctlAfterUnplug, oracle.UseAfterUnmap}, found)
		})
	}
}

// optionsOf returns the switches of the policy named name.
func optionsOf(t *testing.T, name string) xe.Options {
	t.Helper()
	pol, err := xe.ParsePolicy(name)
	require.NoError(t, err)
	return pol.Options
}

// A job submitted after the link went down but before remove ran (a surprise removal whose
// remove waits for pci_rescan_remove_lock) never completes on the hardware: the exec queue's
// TDR times it out after JobTimeout, its fence signals -ETIME and the next one -ECANCELED,
// as guc_exec_queue_timedout_job does. A job on present hardware never meets the TDR.
func TestTDRTimesOutJobsOnGoneHardware(t *testing.T) {
	var at des.Time
	r, sim := world(t, xe.ClearMappings, 1, nil, func(p *des.Proc, pl *xe.Platform) {
		gpu := pl.Device("xe0")
		c, err := gpu.Open(p, "app")
		require.NoError(t, err)
		require.NoError(t, gpu.HealthCheck(p, "igt"))
		gpu.PCI().HW().Unplug(p) // the link is down; pciehp has not removed the device yet
		f1, err := c.SubmitNoop(p)
		require.NoError(t, err)
		f2, err := c.SubmitNoop(p)
		require.NoError(t, err)
		start := p.Sim().Now()
		f2.Wait(p)
		at = start.Add(xe.JobTimeout)
		assert.Equal(t, at, p.Sim().Now(), "the TDR fires a full timeout after the last submission")
		assert.Equal(t, -62, f1.Status(), "-ETIME")
		assert.Equal(t, -125, f2.Status(), "-ECANCELED")
		gpu.Remove(p)
		require.NoError(t, c.Close(p))
	})
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, traced(sim, "guc_exec_queue_timedout_job"))

	r, sim = world(t, xe.ClearMappings, 1, nil, func(p *des.Proc, pl *xe.Platform) {
		require.NoError(t, pl.Device("xe0").HealthCheck(p, "igt"))
		pl.Device("xe0").Remove(p)
	})
	require.True(t, r.OK(), r.Violations)
	assert.Zero(t, traced(sim, "guc_exec_queue_timedout_job"))
}
