package workloads

import "hotplugsim/des"

// Target is what a scenario's model offers the generic app and platform event processes that
// Start spawns. Every method runs in the calling process's context and may block.
type Target interface {
	// AppOp performs operation op (0-based) of an app instance: an ioctl, a page fault, a
	// submission, per the app's kind. It returns false to end the instance early (the
	// device is gone and the app saw -ENODEV).
	AppOp(p *des.Proc, in *Instance, op int) bool
	// Platform performs a platform event.
	Platform(p *des.Proc, ev Event)
}

// AppLifecycle is optionally implemented by a Target whose apps open and close the device.
type AppLifecycle interface {
	// AppOpen runs before the first operation; false ends the instance at once.
	AppOpen(p *des.Proc, in *Instance) bool
	// AppClose runs when the instance ends, however it ends.
	AppClose(p *des.Proc, in *Instance)
}

// Instance is one running app.
type Instance struct {
	App   int // index in Spec.Apps
	Index int // 0 .. Count-1
	Spec  App
	Name  string // process name: "<kind><app>.<index>", e.g. "render0.1"
	Dev   int    // index of Spec.Apps[App].Device in Spec.Topology.Devices
	Peer  int    // index of the peer device, -1 if none

	t     Target
	trig  *triggers
	probe *ProbeBarrier     // nil: the app does not wait for a probe
	body  func(p *des.Proc) // runApp of this instance, kept by a recycled Instance
}

// eventProc is one platform event's process.
type eventProc struct {
	ev    Event
	t     Target
	trig  *triggers
	probe *ProbeBarrier     // nil: the event does not wait for a probe
	body  func(p *des.Proc) // run, kept by a recycled eventProc
}

var (
	instances  = des.NewSlabKey[Instance]()
	eventProcs = des.NewSlabKey[eventProc]()
	triggerSet = des.NewSlabKey[triggers]()
)

// Recycle keeps the body, which reads the Instance's own fields (des.Recycler).
func (in *Instance) Recycle() { *in = Instance{body: in.body} }

// Recycle keeps the body, which reads the eventProc's own fields (des.Recycler).
func (e *eventProc) Recycle() { *e = eventProc{body: e.body} }

// Recycle keeps the map, emptied (it is only looked up), and the counts' storage
// (des.Recycler).
func (t *triggers) Recycle() {
	clear(t.fired)
	*t = triggers{fired: t.fired, alive: t.alive[:0]}
}

func (e *eventProc) run(p *des.Proc) {
	ev := e.ev
	if ev.After != nil {
		e.trig.wait(p, *ev.After)
	}
	if ev.AtNs > 0 {
		p.Sleep(des.Duration(ev.AtNs))
	}
	if e.probe != nil {
		_ = e.probe.Wait(p) // a failed probe leaves devices unbound: Platform finds out
	}
	e.t.Platform(p, ev)
}

// ThinkQuantum is the granularity of app think times: operations of different apps (and
// absolute platform events) land on common instants, as timer ticks make them do, which is
// where the strategy gets to interleave them.
const ThinkQuantum = des.Microsecond

// Start spawns one task per app instance and one per platform event of spec, all driving t.
// App i instance j draws its think times from the stream "app/<name>"; nothing else is
// random. A platform event sleeps until its time (absolute, or relative to its app event)
// and then calls t.Platform.
func Start(sim *des.Sim, spec Spec, t Target) { start(sim, spec, t, nil) }

// start is Start and, with probe, StartProbed.
func start(sim *des.Sim, spec Spec, t Target, probe *ProbeBarrier) {
	trig := newTriggers(sim, spec)
	for i, a := range spec.Apps {
		for j := 0; j < a.Count; j++ {
			in := instances.New(sim)
			name := des.JoinN(sim, des.Join(sim, des.JoinN(sim, string(a.Kind), uint64(i)), "."), uint64(j))
			*in = Instance{App: i, Index: j, Spec: a, Dev: spec.deviceIndex(a.Device), Peer: -1, Name: name,
				t: t, trig: trig, probe: probe, body: in.body}
			if a.Peer != "" {
				in.Peer = spec.deviceIndex(a.Peer)
			}
			if in.body == nil {
				in.body = func(p *des.Proc) { runApp(p, in, in.t, in.trig) }
			}
			sim.Spawn(in.Name, des.Task, in.body)
		}
	}
	for k, ev := range spec.Events {
		e := eventProcs.New(sim)
		e.ev, e.t, e.trig, e.probe = ev, t, trig, probe
		if e.body == nil {
			e.body = e.run
		}
		sim.Spawn(des.JoinN(sim, string(ev.Kind), uint64(k)), des.Task, e.body)
	}
}

func runApp(p *des.Proc, in *Instance, t Target, trig *triggers) {
	defer trig.ended(in.App)
	if in.probe != nil {
		_ = in.probe.Wait(p) // StartProbed: a failed probe leaves devices unbound, AppOpen finds out
	}
	lc, hasLC := t.(AppLifecycle)
	if hasLC {
		defer lc.AppClose(p, in)
		if !lc.AppOpen(p, in) {
			return
		}
	}
	think := p.Sim().Stream(des.Join(p.Sim(), "app/", in.Name))
	for op := 0; op < in.Spec.Ops; op++ {
		if in.Spec.IntervalNs > 0 {
			d := think.Exp(des.Duration(in.Spec.IntervalNs))
			p.Sleep((d/ThinkQuantum + 1) * ThinkQuantum)
		} else {
			p.Yield()
		}
		if !t.AppOp(p, in, op) {
			return
		}
		trig.done(in.App, op)
	}
}

// triggers are the app events that relative platform events wait for.
type triggers struct {
	spec  Spec
	fired map[AppEvent]bool
	alive []int // instances still running, per app
	wq    *des.WaitQueue
}

func newTriggers(sim *des.Sim, spec Spec) *triggers {
	t := triggerSet.New(sim)
	t.spec, t.wq = spec, des.NewWaitQueue(sim, "app-events")
	if t.fired == nil {
		t.fired = map[AppEvent]bool{}
	}
	for _, a := range spec.Apps {
		t.alive = append(t.alive, a.Count)
	}
	return t
}

func (t *triggers) done(app, op int) {
	ae := AppEvent{App: app, Op: op}
	if !t.fired[ae] {
		t.fired[ae] = true
		t.wq.WakeAll()
	}
}

func (t *triggers) ended(app int) {
	t.alive[app]--
	if t.alive[app] == 0 {
		t.wq.WakeAll()
	}
}

func (t *triggers) wait(p *des.Proc, ae AppEvent) {
	t.wq.Wait(p, func() bool { return t.fired[ae] || t.alive[ae.App] == 0 })
}
