package sound

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
)

// driver is a test driver: a chip (low-level device), a PCM and a jack depending on it, a
// "Master" control whose put sleeps (a codec write).
type driver struct {
	card *Card
	chip *Device
	pcm  *PCM
	jack *Jack
	kctl *Kcontrol
	log  []string
	vol  int64
}

func (d *driver) ops(name string) DeviceOps {
	logf := func(op string) func(*des.Proc, *Device) error {
		return func(*des.Proc, *Device) error { d.log = append(d.log, op+" "+name); return nil }
	}
	return DeviceOps{Register: logf("register"), Disconnect: logf("disconnect"), Free: logf("free")}
}

// probe makes and registers the card as a driver's probe does.
func probe(t *testing.T, sim *des.Sim, p *des.Proc) *driver {
	card, err := NewCard(sim, p, "card0")
	require.NoError(t, err)
	d := &driver{card: card}
	d.chip, err = d.card.DeviceNew(p, DevLowLevel, "chip", d.ops("chip"))
	require.NoError(t, err)
	d.pcm, err = d.card.PCMNew(p, "pcm0", PCMOps{
		Ioctl: func(p *des.Proc, s *PCMFile, what string) error { p.Sleep(10 * des.Microsecond); return nil },
		Close: func(p *des.Proc, s *PCMFile) { d.chip.Use(p, "azx_pcm_close") },
	}, d.chip)
	require.NoError(t, err)
	d.jack, err = d.card.JackNew(p, "Headphone", true, d.chip)
	require.NoError(t, err)
	d.kctl, err = d.card.CtlAdd(p, KcontrolNew{Name: "Master",
		Get: func(p *des.Proc, k *Kcontrol) (int64, error) { return d.vol, nil },
		Put: func(p *des.Proc, k *Kcontrol, v int64) (int, error) {
			p.Sleep(20 * des.Microsecond) // the codec write
			changed := v != d.vol
			d.vol = v
			if changed {
				return 1, nil
			}
			return 0, nil
		}}, nil)
	require.NoError(t, err)
	require.NoError(t, d.card.Register(p))
	return d
}

func newSim() *des.Sim { return des.MustNew(des.Config{}) }

// world is one run: a sim and the test driver, probed at time 0 by the process driverProc
// spawns; the processes app spawns start once it is probed.
type world struct {
	sim    *des.Sim
	d      *driver
	probed *des.Completion
}

func newWorld(cfg des.Config) *world {
	sim := des.MustNew(cfg)
	return &world{sim: sim, probed: des.NewCompletion(sim, "probed")}
}

// driverProc spawns the driver's process: probe, then body.
func (w *world) driverProc(t *testing.T, name string, body func(p *des.Proc, d *driver)) {
	w.sim.Spawn(name, des.Task, func(p *des.Proc) {
		w.d = probe(t, w.sim, p)
		w.probed.CompleteAll()
		body(p, w.d)
	})
}

// app spawns an app's process: once the driver is probed, it sleeps after, then runs body.
func (w *world) app(name string, after des.Duration, body func(p *des.Proc, d *driver)) {
	w.sim.Spawn(name, des.Task, func(p *des.Proc) {
		w.probed.Wait(p)
		if after > 0 {
			p.Sleep(after)
		}
		body(p, w.d)
	})
}

// run runs the world; with clean, it requires a run without violations.
func (w *world) run(t *testing.T, clean bool) des.Result {
	t.Helper()
	res := w.sim.Run()
	if clean {
		require.True(t, res.OK(), res.Violations)
	}
	return res
}

// wantViolation asserts that res found a violation of kind first, whose message has every
// part.
func wantViolation(t *testing.T, res des.Result, kind des.ViolationKind, parts ...string) {
	t.Helper()
	v := res.First()
	require.NotNil(t, v)
	assert.Equal(t, kind, v.Kind)
	for _, part := range parts {
		assert.Contains(t, v.Msg, part)
	}
}

func TestNewCardValidates(t *testing.T) {
	_, err := NewCard(newSim(), nil, "")
	assert.Error(t, err)
	c, err := NewCard(newSim(), nil, "card0")
	require.NoError(t, err)
	_, err = c.DeviceNew(nil, DevControl+1, "x", DeviceOps{})
	assert.Error(t, err)
}

// Devices are registered in type order and disconnected and freed in reverse: the control
// device first, the low-level chip last.
func TestDeviceListOrder(t *testing.T) {
	sim := newSim()
	var d *driver
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		card, err := NewCard(sim, p, "card0")
		require.NoError(t, err)
		d = &driver{card: card}
		_, err = d.card.DeviceNew(p, DevPCM, "pcm", d.ops("pcm"))
		require.NoError(t, err)
		_, err = d.card.DeviceNew(p, DevLowLevel, "chip", d.ops("chip"))
		require.NoError(t, err)
		_, err = d.card.DeviceNew(p, DevCodec, "codec", d.ops("codec"))
		require.NoError(t, err)
		require.NoError(t, d.card.Register(p))
		d.card.Free(p)
	})
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.Equal(t, []string{"register chip", "register codec", "register pcm",
		"disconnect pcm", "disconnect codec", "disconnect chip",
		"free pcm", "free codec", "free chip"}, d.log)
	assert.True(t, d.card.Freed())
}

// snd_card_register again registers only what is new (init.c), and a second Free does
// nothing (see the package doc: mainline returns on card->releasing).
func TestRegisterAndFreeTwice(t *testing.T) {
	w := newWorld(des.Config{})
	w.driverProc(t, "driver", func(p *des.Proc, d *driver) {
		require.NoError(t, d.card.Register(p))
		d.card.Free(p)
		d.card.Free(p)
	})
	w.run(t, true)
	assert.Equal(t, []string{"register chip", "disconnect chip", "free chip"}, w.d.log)
	assert.True(t, w.d.card.Freed())
}

// An app holds the control device open while the driver is removed with
// snd_card_free_when_closed: its write returns -ENODEV, and its close releases the card.
func TestFreeWhenClosedWithAppHoldingCard(t *testing.T) {
	w := newWorld(des.Config{})
	var werr error
	w.driverProc(t, "probe", func(p *des.Proc, d *driver) {
		p.Sleep(100 * des.Microsecond)
		d.card.FreeWhenClosed(p)
		assert.False(t, d.card.Freed(), "a file is open")
	})
	w.app("mixer", 10*des.Microsecond, func(p *des.Proc, d *driver) {
		f, err := d.card.OpenControl(p)
		require.NoError(t, err)
		require.NoError(t, f.ElemWrite(p, "Master", 5))
		p.Sleep(200 * des.Microsecond)
		werr = f.ElemWrite(p, "Master", 7)
		f.Release(p)
	})
	w.run(t, true)
	assert.ErrorIs(t, werr, ErrNoDevice)
	assert.Equal(t, int64(5), w.d.vol, "the put after the disconnect never ran")
	assert.True(t, w.d.card.Freed())
	assert.True(t, w.d.kctl.Freed())
}

// snd_card_free waits for the last close: the card is released by the app's close.
func TestFreeWaitsForOpenFiles(t *testing.T) {
	w := newWorld(des.Config{})
	var freedAt des.Time
	w.driverProc(t, "probe", func(p *des.Proc, d *driver) {
		p.Sleep(50 * des.Microsecond)
		d.card.Free(p)
		freedAt = p.Now()
	})
	w.app("aplay", 10*des.Microsecond, func(p *des.Proc, d *driver) {
		f, err := d.pcm.Open(p)
		require.NoError(t, err)
		require.NoError(t, f.Ioctl(p, "SNDRV_PCM_IOCTL_PREPARE"))
		p.Sleep(200 * des.Microsecond)
		assert.ErrorIs(t, f.Ioctl(p, "SNDRV_PCM_IOCTL_START"), ErrNoDevice)
		f.Release(p)
	})
	w.run(t, true)
	assert.Equal(t, des.Time(0).Add(220*des.Microsecond), freedAt)
	assert.True(t, w.d.card.Freed())
}

// freeCard is the driver's remove: the card freed at once (misuse) or when closed.
func freeCard(p *des.Proc, d *driver, misuse bool) {
	if misuse {
		d.card.FreeNoWait(p)
	} else {
		d.card.FreeWhenClosed(p)
	}
}

// A card freed at once while a file is open (no wait, no free_when_closed): the app's close
// is a use-after-free of the card.
func TestCardFreedWhileFileOpen(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		w := newWorld(des.Config{})
		w.driverProc(t, "probe", func(p *des.Proc, d *driver) {
			p.Sleep(50 * des.Microsecond)
			freeCard(p, d, misuse)
		})
		w.app("aplay", 10*des.Microsecond, func(p *des.Proc, d *driver) {
			f, err := d.pcm.Open(p)
			require.NoError(t, err)
			p.Sleep(100 * des.Microsecond)
			f.Release(p)
		})
		res := w.run(t, !misuse)
		if misuse {
			wantViolation(t, res, oracle.UseAfterFree, "snd_pcm_release", "card0")
		}
	}
}

// A control write on a card freed under its open file is a use-after-free of the card.
func TestControlPutOnFreedCard(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		w := newWorld(des.Config{})
		var werr error
		w.driverProc(t, "probe", func(p *des.Proc, d *driver) {
			p.Sleep(50 * des.Microsecond)
			freeCard(p, d, misuse)
		})
		w.app("mixer", 10*des.Microsecond, func(p *des.Proc, d *driver) {
			f, err := d.card.OpenControl(p)
			require.NoError(t, err)
			p.Sleep(100 * des.Microsecond)
			werr = f.ElemWrite(p, "Master", 3)
			f.Release(p)
		})
		res := w.run(t, !misuse)
		if misuse {
			wantViolation(t, res, oracle.UseAfterFree, "snd_ctl_elem_write")
		} else {
			assert.ErrorIs(t, werr, ErrNoDevice)
		}
	}
}

// A control write in flight when the card is disconnected holds its power reference:
// snd_card_disconnect's snd_power_sync_ref waits for it, and controls_rwsem keeps the
// control alive until the put returns.
func TestInFlightPutDrainedByDisconnect(t *testing.T) {
	w := newWorld(des.Config{})
	var disconnectedAt des.Time
	w.driverProc(t, "probe", func(p *des.Proc, d *driver) {
		p.Sleep(15 * des.Microsecond) // the mixer's put is sleeping
		d.card.Disconnect(p)
		disconnectedAt = p.Now()
		d.card.FreeWhenClosed(p)
	})
	w.app("mixer", 10*des.Microsecond, func(p *des.Proc, d *driver) {
		f, err := d.card.OpenControl(p)
		require.NoError(t, err)
		assert.NoError(t, f.ElemWrite(p, "Master", 3))
		f.Release(p)
	})
	w.run(t, true)
	assert.Equal(t, des.Time(0).Add(30*des.Microsecond), disconnectedAt)
	assert.Equal(t, 1, w.d.kctl.Notifications())
	assert.True(t, w.d.card.Freed())
}

// Driver code using its control or device after snd_card_free: use-after-free.
func TestUseAfterCardFree(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		w := newWorld(des.Config{})
		w.driverProc(t, "driver", func(p *des.Proc, d *driver) {
			if !misuse {
				d.kctl.Notify(p)
				assert.True(t, d.chip.Use(p, "azx_interrupt"))
			}
			d.card.Free(p)
			if misuse {
				d.kctl.Notify(p)
			}
		})
		res := w.run(t, !misuse)
		if misuse {
			wantViolation(t, res, oracle.UseAfterFree, "card0:ctl:Master")
		}
	}
}

// Freeing the chip by hand (snd_device_free) before the card: the PCM and jack that depend
// on it are torn down after it, and their disconnect is a use-after-free of the chip. A
// device depending on one of a higher type is the same misuse: the reverse order frees the
// higher one first.
func TestTeardownOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  func(t *testing.T, p *des.Proc, d *driver)
	}{
		{"in-order", func(*testing.T, *des.Proc, *driver) {}},
		{"chip-freed-first", func(_ *testing.T, p *des.Proc, d *driver) { d.card.DeviceFree(p, d.chip) }},
		{"lowlevel-on-pcm", func(t *testing.T, p *des.Proc, d *driver) {
			_, err := d.card.DeviceNew(p, DevLowLevel, "dsp", DeviceOps{}, d.pcm.Device())
			require.NoError(t, err)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(des.Config{})
			w.driverProc(t, "driver", func(p *des.Proc, d *driver) {
				tc.bad(t, p, d)
				d.card.Free(p)
			})
			res := w.run(t, tc.name == "in-order")
			if tc.name == "in-order" {
				return
			}
			wantViolation(t, res, oracle.UseAfterFree)
			assert.Regexp(t, `KASAN: slab-use-after-free in snd_device_(disconnect|free)\n`, res.First().Msg)
			assert.Regexp(t, `belongs to card0:(chip|pcm:pcm0)\n`, res.First().Msg)
		})
	}
}

// A jack report after the disconnect reaches no input device; after snd_card_free it is a
// use-after-free of the jack.
func TestJackReportAfterFree(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		w := newWorld(des.Config{})
		w.driverProc(t, "driver", func(p *des.Proc, d *driver) {
			d.jack.Report(p, 1)
			d.card.Disconnect(p)
			d.jack.Report(p, 0)
			d.card.Free(p)
			if misuse {
				d.jack.Report(p, 1) // the unsolicited-event work, never cancelled
			}
		})
		res := w.run(t, !misuse)
		if misuse {
			wantViolation(t, res, oracle.UseAfterFree, "snd_jack_report")
			continue
		}
		assert.Equal(t, 1, w.d.jack.InputEvents())
		assert.Equal(t, 0, w.d.jack.Status())
	}
}

// A jack's control follows its reports and goes with the control device.
func TestJackControl(t *testing.T) {
	w := newWorld(des.Config{})
	w.driverProc(t, "driver", func(p *des.Proc, d *driver) {
		f, err := d.card.OpenControl(p)
		require.NoError(t, err)
		d.jack.Report(p, 1)
		v, err := f.ElemRead(p, "Headphone Jack")
		require.NoError(t, err)
		assert.Equal(t, int64(1), v)
		assert.Equal(t, 1, d.jack.Control().Notifications())
		f.Release(p)
		d.card.Free(p)
		assert.Nil(t, d.jack.Control(), "unlinked by the control's private_free")
	})
	w.run(t, true)
}

// A control write waits in snd_power_ref_and_wait while the card is in D3hot: D0 lets it
// run; snd_card_disconnect wakes it with -ENODEV instead.
func TestPowerWaitersWokenByDisconnect(t *testing.T) {
	for _, remove := range []bool{false, true} {
		w := newWorld(des.Config{})
		var werr error
		w.driverProc(t, "mixer", func(p *des.Proc, d *driver) {
			f, err := d.card.OpenControl(p)
			require.NoError(t, err)
			d.card.PowerChangeState(PowerD3hot)
			werr = f.ElemWrite(p, "Master", 9)
			f.Release(p)
		})
		w.app("pm", 50*des.Microsecond, func(p *des.Proc, d *driver) {
			if remove {
				d.card.FreeWhenClosed(p)
				return
			}
			d.card.PowerChangeState(PowerD0)
		})
		w.run(t, true)
		if remove {
			assert.ErrorIs(t, werr, ErrNoDevice)
			assert.True(t, w.d.card.Freed())
		} else {
			assert.NoError(t, werr)
			assert.Equal(t, int64(9), w.d.vol)
			assert.Zero(t, w.d.card.PowerRefs())
		}
	}
}

// snd_power_sync_ref waits for a PCM ioctl only when the PCM core holds the reference
// across it (HoldPowerRef); mainline's snd_power_wait drops it first.
func TestPCMPowerRef(t *testing.T) {
	for _, hold := range []bool{false, true} {
		w := newWorld(des.Config{})
		var syncedAt des.Time
		w.driverProc(t, "aplay", func(p *des.Proc, d *driver) {
			d.pcm.HoldPowerRef = hold
			f, err := d.pcm.Open(p)
			require.NoError(t, err)
			require.NoError(t, f.Ioctl(p, "SNDRV_PCM_IOCTL_PREPARE")) // 10us in the driver
			f.Release(p)
		})
		w.app("suspend", 5*des.Microsecond, func(p *des.Proc, d *driver) {
			d.card.PowerChangeState(PowerD3hot)
			d.card.PowerSyncRef(p)
			syncedAt = p.Now()
			d.card.PowerChangeState(PowerD0)
		})
		w.run(t, true)
		want := 5 * des.Microsecond
		if hold {
			want = 10 * des.Microsecond
		}
		assert.Equal(t, des.Time(0).Add(want), syncedAt, "hold=%v", hold)
		assert.Zero(t, w.d.card.OpenFiles())
	}
}

// A second open of the substream is -EBUSY and leaves no file behind; an open after the
// disconnect is -ENODEV.
func TestPCMOpen(t *testing.T) {
	w := newWorld(des.Config{})
	w.driverProc(t, "aplay", func(p *des.Proc, d *driver) {
		f, err := d.pcm.Open(p)
		require.NoError(t, err)
		_, err = d.pcm.Open(p)
		assert.ErrorIs(t, err, ErrBusy)
		assert.Equal(t, 1, d.card.OpenFiles())
		d.card.Disconnect(p)
		_, err = d.card.OpenControl(p)
		assert.ErrorIs(t, err, ErrNoDevice)
		f.Release(p)
		assert.ErrorIs(t, f.Ioctl(p, "SNDRV_PCM_IOCTL_START"), ErrBadFD)
		d.card.FreeWhenClosed(p)
		assert.True(t, d.card.Freed())
	})
	w.run(t, true)
}

// playAndMix is an app writing controls and playing.
func playAndMix(p *des.Proc, d *driver) {
	cf, err := d.card.OpenControl(p)
	if err != nil {
		return
	}
	pf, _ := d.pcm.Open(p)
	for i := range 3 {
		_ = cf.ElemWrite(p, "Master", int64(i))
		if pf != nil {
			_ = pf.Ioctl(p, "SNDRV_PCM_IOCTL_SYNC_PTR")
		}
	}
	if pf != nil {
		pf.Release(p)
	}
	cf.Release(p)
}

// Under random interleavings an app writing controls and playing while the driver is
// removed never touches freed state with snd_card_free_when_closed; with the card freed at
// once some seed finds the use-after-free.
func TestRemoveRacingApps(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		found := 0
		for seed := uint64(1); seed <= 60; seed++ {
			w := newWorld(des.Config{Seed: seed, Strategy: "random:5us"})
			w.driverProc(t, "probe", func(p *des.Proc, d *driver) {
				p.Sleep(des.Duration(seed%50) * des.Microsecond)
				freeCard(p, d, misuse)
			})
			w.app("app", 0, playAndMix)
			res := w.sim.Run()
			if !misuse {
				require.True(t, res.OK(), "seed %d: %v", seed, res.Violations)
				require.True(t, w.d.card.Freed(), "seed %d", seed)
				continue
			}
			if v := res.First(); v != nil {
				require.Equal(t, oracle.UseAfterFree, v.Kind, "seed %d: %v", seed, v)
				found++
			}
		}
		if misuse {
			assert.NotZero(t, found)
		}
	}
}

// An app that never closes its file: snd_card_free in remove waits for it forever (the
// engine's deadlock, with the remove blocked), snd_card_free_when_closed returns and leaves
// the card to the last close.
func TestFreeBlocksOnLeakedFile(t *testing.T) {
	for _, wait := range []bool{false, true} {
		w := newWorld(des.Config{})
		removed := false
		w.driverProc(t, "remove", func(p *des.Proc, d *driver) {
			p.Sleep(20 * des.Microsecond)
			if wait {
				d.card.Free(p)
			} else {
				d.card.FreeWhenClosed(p)
			}
			removed = true
		})
		w.app("app", 10*des.Microsecond, func(p *des.Proc, d *driver) {
			_, err := d.card.OpenControl(p)
			require.NoError(t, err) // and never closed
		})
		res := w.run(t, !wait)
		if !wait {
			assert.True(t, removed)
			assert.False(t, w.d.card.Freed(), "the leaked file holds it")
			continue
		}
		wantViolation(t, res, oracle.Deadlock)
		assert.False(t, removed)
	}
}

// snd_card_disconnect_sync returns when the last open file is closed.
func TestDisconnectSyncWaitsForClose(t *testing.T) {
	w := newWorld(des.Config{})
	var syncedAt des.Time
	w.driverProc(t, "remove", func(p *des.Proc, d *driver) {
		p.Sleep(20 * des.Microsecond)
		d.card.DisconnectSync(p)
		syncedAt = p.Now()
		d.card.Free(p)
	})
	w.app("app", 10*des.Microsecond, func(p *des.Proc, d *driver) {
		f, err := d.pcm.Open(p)
		require.NoError(t, err)
		p.Sleep(30 * des.Microsecond)
		f.Release(p)
	})
	w.run(t, true)
	assert.Equal(t, des.Time(0).Add(40*des.Microsecond), syncedAt)
	assert.True(t, w.d.card.Freed())
}
