package hda

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
)

// A player closes its PCM (snd_pcm_release: stop, hw_free's codec verb) while a rescan moves
// the BAR. Mainline's snd_pcm_release only calls snd_power_wait, which drops the power
// reference before the release touches the hardware, so quiesce's snd_power_sync_ref does not
// wait for it and the release runs on into the iounmap. quiesce-pcm-ref holds the reference
// across the release: the move waits for it, every seed is clean.
func TestPCMReleaseRacingTheMove(t *testing.T) {
	for _, pol := range []string{Quiesce, QuiescePCMRef} {
		t.Run(pol, func(t *testing.T) {
			found := ""
			for seed := uint64(1); seed <= 300 && found == ""; seed++ {
				r := newRig(t, "random:5us", seed, Config{Policy: pol})
				r.sim.Spawn("aplay", des.Task, func(p *des.Proc) {
					if !r.chip.WaitProbed(p) {
						return
					}
					f, err := r.chip.OpenPCM(p)
					require.NoError(t, err)
					require.NoError(t, f.HWParams(p))
					require.NoError(t, f.Prepare(p))
					require.NoError(t, f.Start(p))
					p.Sleep(des.Duration(seed%40) * des.Microsecond)
					f.Release(p)
				})
				r.rescanAt(20 * des.Microsecond)
				if res := r.sim.Run(); res.First() != nil {
					v := res.First()
					found = string(v.Kind)
				}
			}
			if pol == QuiescePCMRef {
				assert.Empty(t, found)
				return
			}
			assert.Equal(t, string(oracle.UseAfterUnmap), found)
		})
	}
}

// A control ioctl waiting in snd_power_ref_and_wait while the card is in D3hot: going back to
// D0 lets it run; snd_card_disconnect (Remove) wakes it instead and it fails with -ENODEV
// without touching the hardware.
func TestPowerWaitersWokenByDisconnect(t *testing.T) {
	for _, remove := range []bool{false, true} {
		r := newRig(t, "fifo", 1, Config{Policy: QuiescePCMRef})
		var err error
		r.sim.Spawn("mixer", des.Task, func(p *des.Proc) {
			require.True(t, r.chip.WaitProbed(p))
			f, oerr := r.chip.OpenControl(p)
			require.NoError(t, oerr)
			r.chip.card.d0 = false // D3hot, as quiesce's prepare leaves it
			err = f.ElemWrite(p)
		})
		r.sim.Spawn("pm", des.Task, func(p *des.Proc) {
			p.Sleep(50 * des.Microsecond)
			if remove {
				r.chip.Remove(p, r.dev)
				return
			}
			r.chip.card.d0 = true
			r.chip.card.powerSleep.WakeAll()
		})
		res := r.sim.Run()
		require.True(t, res.OK(), res.Violations)
		if remove {
			assert.ErrorIs(t, err, ErrNoDevice)
		} else {
			assert.NoError(t, err)
		}
		assert.Zero(t, r.chip.card.powerRef, "every reference dropped")
	}
}
