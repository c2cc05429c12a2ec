package reports_test

import (
	"fmt"
	"os"

	"hotplugsim/des"
	"hotplugsim/reports"
)

// A run's full trace (Config.Sink) becomes a text timeline; ":begin"/":end" kinds and the
// engine's block/wake/sleep events become spans.
func Example() {
	var events []des.Event
	sim := des.MustNew(des.Config{Sink: func(e des.Event) { events = append(events, e) }})
	begin, end, cs := des.L("ioctl:begin"), des.L("ioctl:end"), des.L("AMDGPU_CS")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		p.Trace(begin, cs, 0, 0)
		p.Sleep(1500 * des.Nanosecond)
		p.Trace(end, cs, 0, 0)
	})
	sim.Run()
	if err := reports.WriteTimeline(os.Stdout, events, reports.ProcNames(sim), nil); err != nil {
		panic(err)
	}
	for _, s := range reports.Spans(events) {
		fmt.Printf("%s %s %v..%v\n", s.Name, s.Obj, s.Start, s.End)
	}
	// Output:
	// seq  time(µs)  proc   kind         obj        args
	// #1      0.000  app#0  spawn        app
	// #2      0.000  app#0  ioctl:begin  AMDGPU_CS
	// #3      0.000  app#0  sleep        des        for=1.5us
	// #4      1.500  app#0  ioctl:end    AMDGPU_CS
	// #5      1.500  app#0  exit         app
	// ioctl AMDGPU_CS @0ns..@1.5us
	// sleep des @0ns..@1.5us
}
