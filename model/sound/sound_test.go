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

// An app holds the control device open while the driver is removed with
// snd_card_free_when_closed: its write returns -ENODEV, and its close releases the card.
func TestFreeWhenClosedWithAppHoldingCard(t *testing.T) {
	sim := newSim()
	var d *driver
	var werr error
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		d = probe(t, sim, p)
		p.Sleep(100 * des.Microsecond)
		d.card.FreeWhenClosed(p)
		assert.False(t, d.card.Freed(), "a file is open")
	})
	sim.Spawn("mixer", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		f, err := d.card.OpenControl(p)
		require.NoError(t, err)
		require.NoError(t, f.ElemWrite(p, "Master", 5))
		p.Sleep(200 * des.Microsecond)
		werr = f.ElemWrite(p, "Master", 7)
		f.Release(p)
	})
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.ErrorIs(t, werr, ErrNoDevice)
	assert.Equal(t, int64(5), d.vol, "the put after the disconnect never ran")
	assert.True(t, d.card.Freed())
	assert.True(t, d.kctl.Freed())
}

// snd_card_free waits for the last close: the card is released by the app's close.
func TestFreeWaitsForOpenFiles(t *testing.T) {
	sim := newSim()
	var d *driver
	var freedAt des.Time
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		d = probe(t, sim, p)
		p.Sleep(50 * des.Microsecond)
		d.card.Free(p)
		freedAt = p.Now()
	})
	sim.Spawn("aplay", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		f, err := d.pcm.Open(p)
		require.NoError(t, err)
		require.NoError(t, f.Ioctl(p, "SNDRV_PCM_IOCTL_PREPARE"))
		p.Sleep(200 * des.Microsecond)
		assert.ErrorIs(t, f.Ioctl(p, "SNDRV_PCM_IOCTL_START"), ErrNoDevice)
		f.Release(p)
	})
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.Equal(t, des.Time(0).Add(220*des.Microsecond), freedAt)
	assert.True(t, d.card.Freed())
}

// A card freed at once while a file is open (no wait, no free_when_closed): the app's close
// is a use-after-free of the card.
func TestCardFreedWhileFileOpen(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		sim := newSim()
		var d *driver
		sim.Spawn("probe", des.Task, func(p *des.Proc) {
			d = probe(t, sim, p)
			p.Sleep(50 * des.Microsecond)
			if misuse {
				d.card.FreeNoWait(p)
			} else {
				d.card.FreeWhenClosed(p)
			}
		})
		sim.Spawn("aplay", des.Task, func(p *des.Proc) {
			p.Sleep(10 * des.Microsecond)
			f, err := d.pcm.Open(p)
			require.NoError(t, err)
			p.Sleep(100 * des.Microsecond)
			f.Release(p)
		})
		res := sim.Run()
		if !misuse {
			require.True(t, res.OK(), res.Violations)
			continue
		}
		v := res.First()
		require.NotNil(t, v)
		assert.Equal(t, oracle.UseAfterFree, v.Kind)
		assert.Contains(t, v.Msg, "snd_pcm_release")
		assert.Contains(t, v.Msg, "card0")
	}
}

// A control write on a card freed under its open file is a use-after-free of the card.
func TestControlPutOnFreedCard(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		sim := newSim()
		var d *driver
		var werr error
		sim.Spawn("probe", des.Task, func(p *des.Proc) {
			d = probe(t, sim, p)
			p.Sleep(50 * des.Microsecond)
			if misuse {
				d.card.FreeNoWait(p)
			} else {
				d.card.FreeWhenClosed(p)
			}
		})
		sim.Spawn("mixer", des.Task, func(p *des.Proc) {
			p.Sleep(10 * des.Microsecond)
			f, err := d.card.OpenControl(p)
			require.NoError(t, err)
			p.Sleep(100 * des.Microsecond)
			werr = f.ElemWrite(p, "Master", 3)
			f.Release(p)
		})
		res := sim.Run()
		if !misuse {
			require.True(t, res.OK(), res.Violations)
			assert.ErrorIs(t, werr, ErrNoDevice)
			continue
		}
		v := res.First()
		require.NotNil(t, v)
		assert.Equal(t, oracle.UseAfterFree, v.Kind)
		assert.Contains(t, v.Msg, "snd_ctl_elem_write")
	}
}

// A control write in flight when the card is disconnected holds its power reference:
// snd_card_disconnect's snd_power_sync_ref waits for it, and controls_rwsem keeps the
// control alive until the put returns.
func TestInFlightPutDrainedByDisconnect(t *testing.T) {
	sim := newSim()
	var d *driver
	var disconnectedAt des.Time
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		d = probe(t, sim, p)
		p.Sleep(15 * des.Microsecond) // the mixer's put is sleeping
		d.card.Disconnect(p)
		disconnectedAt = p.Now()
		d.card.FreeWhenClosed(p)
	})
	sim.Spawn("mixer", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		f, err := d.card.OpenControl(p)
		require.NoError(t, err)
		assert.NoError(t, f.ElemWrite(p, "Master", 3))
		f.Release(p)
	})
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.Equal(t, des.Time(0).Add(30*des.Microsecond), disconnectedAt)
	assert.Equal(t, 1, d.kctl.Notifications())
	assert.True(t, d.card.Freed())
}

// Driver code using its control or device after snd_card_free: use-after-free.
func TestUseAfterCardFree(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		sim := newSim()
		sim.Spawn("driver", des.Task, func(p *des.Proc) {
			d := probe(t, sim, p)
			if !misuse {
				d.kctl.Notify(p)
				assert.True(t, d.chip.Use(p, "azx_interrupt"))
			}
			d.card.Free(p)
			if misuse {
				d.kctl.Notify(p)
			}
		})
		res := sim.Run()
		if !misuse {
			require.True(t, res.OK(), res.Violations)
			continue
		}
		v := res.First()
		require.NotNil(t, v)
		assert.Equal(t, oracle.UseAfterFree, v.Kind)
		assert.Contains(t, v.Msg, "card0:ctl:Master")
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
			sim := newSim()
			sim.Spawn("driver", des.Task, func(p *des.Proc) {
				d := probe(t, sim, p)
				tc.bad(t, p, d)
				d.card.Free(p)
			})
			res := sim.Run()
			if tc.name == "in-order" {
				require.True(t, res.OK(), res.Violations)
				return
			}
			v := res.First()
			require.NotNil(t, v)
			assert.Equal(t, oracle.UseAfterFree, v.Kind)
			assert.Regexp(t, `KASAN: slab-use-after-free in snd_device_(disconnect|free)\n`, v.Msg)
			assert.Regexp(t, `belongs to card0:(chip|pcm:pcm0)\n`, v.Msg)
		})
	}
}

// A jack report after the disconnect reaches no input device; after snd_card_free it is a
// use-after-free of the jack.
func TestJackReportAfterFree(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		sim := newSim()
		var d *driver
		sim.Spawn("driver", des.Task, func(p *des.Proc) {
			d = probe(t, sim, p)
			d.jack.Report(p, 1)
			d.card.Disconnect(p)
			d.jack.Report(p, 0)
			d.card.Free(p)
			if misuse {
				d.jack.Report(p, 1) // the unsolicited-event work, never cancelled
			}
		})
		res := sim.Run()
		if !misuse {
			require.True(t, res.OK(), res.Violations)
			assert.Equal(t, 1, d.jack.InputEvents())
			assert.Equal(t, 0, d.jack.Status())
			continue
		}
		v := res.First()
		require.NotNil(t, v)
		assert.Equal(t, oracle.UseAfterFree, v.Kind)
		assert.Contains(t, v.Msg, "snd_jack_report")
	}
}

// A jack's control follows its reports and goes with the control device.
func TestJackControl(t *testing.T) {
	sim := newSim()
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		d := probe(t, sim, p)
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
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
}

// A control write waits in snd_power_ref_and_wait while the card is in D3hot: D0 lets it
// run; snd_card_disconnect wakes it with -ENODEV instead.
func TestPowerWaitersWokenByDisconnect(t *testing.T) {
	for _, remove := range []bool{false, true} {
		sim := newSim()
		var d *driver
		var werr error
		sim.Spawn("mixer", des.Task, func(p *des.Proc) {
			d = probe(t, sim, p)
			f, err := d.card.OpenControl(p)
			require.NoError(t, err)
			d.card.PowerChangeState(PowerD3hot)
			werr = f.ElemWrite(p, "Master", 9)
			f.Release(p)
		})
		sim.Spawn("pm", des.Task, func(p *des.Proc) {
			p.Sleep(50 * des.Microsecond)
			if remove {
				d.card.FreeWhenClosed(p)
				return
			}
			d.card.PowerChangeState(PowerD0)
		})
		res := sim.Run()
		require.True(t, res.OK(), res.Violations)
		if remove {
			assert.ErrorIs(t, werr, ErrNoDevice)
			assert.True(t, d.card.Freed())
		} else {
			assert.NoError(t, werr)
			assert.Equal(t, int64(9), d.vol)
			assert.Zero(t, d.card.PowerRefs())
		}
	}
}

// snd_power_sync_ref waits for a PCM ioctl only when the PCM core holds the reference
// across it (HoldPowerRef); mainline's snd_power_wait drops it first.
func TestPCMPowerRef(t *testing.T) {
	for _, hold := range []bool{false, true} {
		sim := newSim()
		var d *driver
		var syncedAt des.Time
		sim.Spawn("aplay", des.Task, func(p *des.Proc) {
			d = probe(t, sim, p)
			d.pcm.HoldPowerRef = hold
			f, err := d.pcm.Open(p)
			require.NoError(t, err)
			require.NoError(t, f.Ioctl(p, "SNDRV_PCM_IOCTL_PREPARE")) // 10us in the driver
			f.Release(p)
		})
		sim.Spawn("suspend", des.Task, func(p *des.Proc) {
			p.Sleep(5 * des.Microsecond)
			d.card.PowerChangeState(PowerD3hot)
			d.card.PowerSyncRef(p)
			syncedAt = p.Now()
			d.card.PowerChangeState(PowerD0)
		})
		res := sim.Run()
		require.True(t, res.OK(), res.Violations)
		want := 5 * des.Microsecond
		if hold {
			want = 10 * des.Microsecond
		}
		assert.Equal(t, des.Time(0).Add(want), syncedAt, "hold=%v", hold)
		assert.Zero(t, d.card.OpenFiles())
	}
}

// A second open of the substream is -EBUSY and leaves no file behind; an open after the
// disconnect is -ENODEV.
func TestPCMOpen(t *testing.T) {
	sim := newSim()
	sim.Spawn("aplay", des.Task, func(p *des.Proc) {
		d := probe(t, sim, p)
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
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
}

// Under random interleavings an app writing controls and playing while the driver is
// removed never touches freed state with snd_card_free_when_closed; with the card freed at
// once some seed finds the use-after-free.
func TestRemoveRacingApps(t *testing.T) {
	for _, misuse := range []bool{false, true} {
		found := 0
		for seed := uint64(1); seed <= 60; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: "random:5us"})
			var d *driver
			probed := des.NewCompletion(sim, "probed")
			sim.Spawn("probe", des.Task, func(p *des.Proc) {
				d = probe(t, sim, p)
				probed.CompleteAll()
				p.Sleep(des.Duration(seed%50) * des.Microsecond)
				if misuse {
					d.card.FreeNoWait(p)
				} else {
					d.card.FreeWhenClosed(p)
				}
			})
			sim.Spawn("app", des.Task, func(p *des.Proc) {
				probed.Wait(p)
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
			})
			res := sim.Run()
			if !misuse {
				require.True(t, res.OK(), "seed %d: %v", seed, res.Violations)
				require.True(t, d.card.Freed(), "seed %d", seed)
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
		sim := newSim()
		var d *driver
		removed := false
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			d = probe(t, sim, p)
			p.Sleep(20 * des.Microsecond)
			if wait {
				d.card.Free(p)
			} else {
				d.card.FreeWhenClosed(p)
			}
			removed = true
		})
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			p.Sleep(10 * des.Microsecond)
			_, err := d.card.OpenControl(p)
			require.NoError(t, err) // and never closed
		})
		res := sim.Run()
		if !wait {
			require.True(t, res.OK(), res.Violations)
			assert.True(t, removed)
			assert.False(t, d.card.Freed(), "the leaked file holds it")
			continue
		}
		require.NotNil(t, res.First())
		assert.Equal(t, oracle.Deadlock, res.First().Kind)
		assert.False(t, removed)
	}
}

// snd_card_disconnect_sync returns when the last open file is closed.
func TestDisconnectSyncWaitsForClose(t *testing.T) {
	sim := newSim()
	var d *driver
	var syncedAt des.Time
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		d = probe(t, sim, p)
		p.Sleep(20 * des.Microsecond)
		d.card.DisconnectSync(p)
		syncedAt = p.Now()
		d.card.Free(p)
	})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		f, err := d.pcm.Open(p)
		require.NoError(t, err)
		p.Sleep(30 * des.Microsecond)
		f.Release(p)
	})
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.Equal(t, des.Time(0).Add(40*des.Microsecond), syncedAt)
	assert.True(t, d.card.Freed())
}
