package p2p

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/ttm"
)

// panicOf runs body with a buffer of gpua shared with gpub and returns the message of the
// run's one violation, which must be a panic ("" if the run had none).
func panicOf(t *testing.T, body func(p *des.Proc, s *Share)) string {
	t.Helper()
	sim, w := twoGPUs(t, "sw0", "sw0", FenceArray)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		s, err := w.OpenShare(p, 0, 1, ttm.PlVRAM, 4)
		require.NoError(t, err)
		body(p, s)
	})
	r := sim.Run()
	if r.OK() {
		return ""
	}
	require.Len(t, r.Violations, 1)
	require.Equal(t, des.KindPanic, r.Violations[0].Kind, "%v", r.Violations[0])
	return r.Violations[0].Msg
}

// Each invalid transition panics with its name; the same steps in their valid order do not.
func TestLifecycleAssertions(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		valid, bad func(p *des.Proc, s *Share)
	}{
		{"close twice", "p2p: share of gpua.share1: invalid transition: close twice",
			func(p *des.Proc, s *Share) { s.Close(p) },
			func(p *des.Proc, s *Share) { s.Close(p); s.Close(p) }},
		{"read after close", "p2p: share of gpua.share1: invalid transition: read after close",
			func(p *des.Proc, s *Share) { require.NoError(t, s.Read(p)); s.Close(p) },
			func(p *des.Proc, s *Share) { s.Close(p); _ = s.Read(p) }},
		{"detach twice", "p2p: attach:gpua.share1->gpub: invalid transition: detach twice",
			func(p *des.Proc, s *Share) { s.att.detach(p) },
			func(p *des.Proc, s *Share) { s.att.detach(p); s.att.detach(p) }},
		{"put after release", "p2p: bo gpua.share1: invalid transition: put after release",
			func(p *des.Proc, s *Share) { s.Close(p) },
			func(p *des.Proc, s *Share) { s.Close(p); s.b.put(p) }},
		{"get after release", "p2p: bo gpua.share1: invalid transition: get after release",
			func(p *des.Proc, s *Share) { s.b.get(); s.b.put(p); s.Close(p) },
			func(p *des.Proc, s *Share) { s.Close(p); s.b.get() }},
		{"move after release", "p2p: bo gpua.share1: invalid transition: move after release",
			func(p *des.Proc, s *Share) {
				lock(p, s.b.tbo.Resv)
				s.b.moveLocked(p, ttm.PlTT)
				s.b.tbo.Resv.Unlock(p)
			},
			func(p *des.Proc, s *Share) { s.Close(p); lock(p, s.b.tbo.Resv); s.b.moveLocked(p, ttm.PlTT) }},
	} {
		assert.Empty(t, panicOf(t, tc.valid), tc.name+": valid order")
		assert.Equal(t, tc.want, panicOf(t, tc.bad), tc.name)
	}
}
