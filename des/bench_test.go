package des

import "testing"

// BenchmarkSleep: one process sleeping in a loop (no coroutine switch): the per-step cost.
func BenchmarkSleep(b *testing.B) {
	s := MustNew(Config{})
	n := b.N
	s.Spawn("a", Task, func(p *Proc) {
		for i := 0; i < n; i++ {
			p.Sleep(1)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	s.Run()
}

// BenchmarkYield: a scheduling point with nobody else enabled.
func BenchmarkYield(b *testing.B) {
	s := MustNew(Config{})
	n := b.N
	s.Spawn("a", Task, func(p *Proc) {
		for i := 0; i < n; i++ {
			p.Yield()
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	s.Run()
}

// BenchmarkHandoff: two processes hand over through completions (one switch per hand-off).
func BenchmarkHandoff(b *testing.B) {
	s := MustNew(Config{})
	ca, cb := NewCompletion(s, "a"), NewCompletion(s, "b")
	n := b.N / 2
	s.Spawn("ping", Task, func(p *Proc) {
		for i := 0; i < n; i++ {
			p.Sleep(1)
			cb.Complete()
			ca.Wait(p)
		}
		cb.Complete()
	})
	s.Spawn("pong", Task, func(p *Proc) {
		for i := 0; i < n; i++ {
			cb.Wait(p)
			p.Sleep(1)
			ca.Complete()
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	s.Run()
}

// BenchmarkEmit: one trace event into the ring and the fingerprint.
func BenchmarkEmit(b *testing.B) {
	s := MustNew(Config{})
	k, o := L("k"), L("o")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.emit(s.now, nil, k, o, int64(i), 0)
	}
}

// BenchmarkAlternatingSleepers: two processes whose timers interleave, so every wake-up is a
// switch to the other one (the M/M/1 pattern without the queue).
func BenchmarkAlternatingSleepers(b *testing.B) {
	s := MustNew(Config{})
	n := b.N / 2
	for i := 0; i < 2; i++ {
		off := Duration(i)
		s.Spawn("sleeper", Task, func(p *Proc) {
			p.Sleep(off)
			for j := 0; j < n; j++ {
				p.Sleep(2)
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	s.Run()
}
