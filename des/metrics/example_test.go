package metrics_test

import (
	"fmt"
	"os"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Model code holds the recorder (nil when metrics are off) and observes spans of virtual time.
func Example() {
	sim := des.MustNew(des.Config{Seed: 1})
	metrics.Attach(sim, metrics.NewRecorder()) // desrun --metrics; leave it out and Of returns nil
	rec := metrics.Of(sim)                     // a model object looks it up once, at construction
	csLatency := metrics.Ioctl("AMDGPU_CS")    // build keyed names once, too

	sim.Spawn("app", des.Task, func(p *des.Proc) {
		for i := 1; i <= 4; i++ {
			start := p.Now()
			p.Sleep(des.Duration(i) * des.Microsecond) // the ioctl's work
			rec.ObserveSpan(csLatency, start, p.Now())
		}
	})
	sim.Run()
	s := rec.Histogram(csLatency).Summary()
	fmt.Println(rec.Names(), s.Count, s.P50, s.Max)
	// Output: [ioctl/AMDGPU_CS] 4 2us 4us
}

// Shards of a sweep merge exactly: counts add, quantiles stay exact.
func ExampleRecorder_Merge() {
	shard1, shard2 := metrics.NewRecorder(), metrics.NewRecorder()
	shard1.Observe(metrics.Fault, 3*des.Microsecond)
	shard2.Observe(metrics.Fault, 9*des.Microsecond)
	shard2.Observe(metrics.Fault, 3*des.Microsecond)
	total := metrics.NewRecorder()
	total.Merge(shard1)
	total.Merge(shard2)
	if err := total.Encode(os.Stdout); err != nil {
		panic(err)
	}
	// Output: {"format":"hotplugsim-metrics","version":1,"metrics":{"fault":{"count":3,"ns":[[3000,2],[9000,1]]}}}
}

func ExampleHistogram_Quantile() {
	var h metrics.Histogram
	for i := 1; i <= 1000; i++ {
		h.Observe(des.Duration(i))
	}
	fmt.Println(h.Quantile(0.5), h.Quantile(0.99), h.Quantile(0.999), h.Max())
	// Output: 500ns 990ns 999ns 1us
}
