package bench

import (
	"testing"
)

// The benchmarks run one simulation of about b.N logical events per measurement (b.N/2
// handoffs or customers, each 2 events), so ns/op, B/op and allocs/op are per logical event;
// the constant setup of a run is amortised over b.N. For godes the timer stops when the last
// runner finishes: godes.WaitUntilDone then sleeps up to 100 ms before it notices, which is
// godes's polling interval and not simulation work.

func BenchmarkPingPong(b *testing.B) {
	for _, impl := range Impls {
		b.Run(impl.Name, func(b *testing.B) {
			run := impl.PingPong
			if impl.Name == "godes" {
				run = func(n int, seed uint64) (Result, error) {
					return pingPongGodes(n, seed, b.StopTimer), nil
				}
			}
			benchRun(b, run)
		})
	}
}

func BenchmarkMM1(b *testing.B) {
	for _, impl := range Impls {
		b.Run(impl.Name, func(b *testing.B) {
			run := impl.MM1
			if impl.Name == "godes" {
				run = func(n int, seed uint64) (Result, error) {
					return mm1Godes(n, seed, b.StopTimer), nil
				}
			}
			benchRun(b, run)
		})
	}
}

func benchRun(b *testing.B, run RunFunc) {
	size := max(1, b.N/2)
	b.ReportAllocs()
	b.ResetTimer()
	r, err := run(size, 1)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if r.Events != uint64(2*size) {
		b.Fatalf("%d events, want %d", r.Events, 2*size)
	}
	b.ReportMetric(r.EventsPerSec(), "events/s")
}
