package pcibars_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/pcibars"
	"hotplugsim/model/mm"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
)

// rig is the scenario's topology built by hand: GPU A, an NVMe and GPU B behind a bridge,
// probed at time 0, with every trace event recorded.
type rig struct {
	sim    *des.Sim
	host   *pci.Host
	core   *pcibars.Core
	a, b   *pcibars.GPU
	nvme   *pcibars.NVMe
	events []des.Event
}

func newRig(t *testing.T, policy string, nvmeFixed bool) *rig {
	t.Helper()
	r := &rig{}
	r.sim = des.MustNew(des.Config{Sink: func(e des.Event) { r.events = append(r.events, e) }})
	pol, err := pcibars.ParsePolicy(policy)
	require.NoError(t, err)
	r.host, err = pci.NewHost(r.sim, pci.Config{Name: "0000", Base: pcibars.HostBase, Size: pcibars.HostSize})
	require.NoError(t, err)
	r.core = pcibars.NewCore(r.host)
	br, err := r.host.AddBridge(r.host.Root(), "0000:00:01.0", nil)
	require.NoError(t, err)
	r.a = pcibars.NewGPU(r.core, "gpu-a", pol)
	r.nvme = pcibars.NewNVMe(r.core, "nvme0", pol, nvmeFixed)
	r.b = pcibars.NewGPU(r.core, "gpu-b", pol)
	_, err = r.host.AddDevice(br.Subordinate(), "0000:01:00.0", r.a, pcibars.GPUBARs()...)
	require.NoError(t, err)
	_, err = r.host.AddDevice(br.Subordinate(), "0000:01:01.0", r.nvme, pcibars.NVMeBARs()...)
	require.NoError(t, err)
	_, err = r.host.AddDevice(br.Subordinate(), "0000:01:02.0", r.b, pcibars.GPUBARs()...)
	require.NoError(t, err)
	require.NoError(t, r.host.Boot())
	r.sim.Spawn("modprobe", des.Task, func(p *des.Proc) { require.NoError(t, r.host.ProbeAll(p)) })
	return r
}

// rescanAt spawns the sysfs writer: a rescan at virtual time at.
func (r *rig) rescanAt(t *testing.T, at des.Duration) {
	r.sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(at)
		require.NoError(t, r.core.Rescan(p))
	})
}

// app opens g for an app named name with one VRAM BO of pages pages, mapped.
func app(t *testing.T, p *des.Proc, g *pcibars.GPU, m *mm.MM, name string, pages int) *pcibars.Client {
	t.Helper()
	c, err := g.Open(p, m, name)
	require.NoError(t, err)
	_, err = c.NewBO(p, pages, ttm.PlVRAM)
	require.NoError(t, err)
	return c
}

// span is one begin/end pair found in a trace.
type span struct {
	kind, obj  string
	proc       int32
	begin, end des.Time
}

// spans pairs ":begin" and ":end" events by (kind, obj, process), in begin order; an
// unmatched begin has end -1.
func spans(events []des.Event) []span {
	var out []span
	open := map[string]int{}
	for _, e := range events {
		k := e.Kind.String()
		switch {
		case strings.HasSuffix(k, ":begin"):
			kind := strings.TrimSuffix(k, ":begin")
			open[fmt.Sprint(kind, e.Obj.String(), e.Proc)] = len(out)
			out = append(out, span{kind: kind, obj: e.Obj.String(), proc: e.Proc, begin: e.At, end: -1})
		case strings.HasSuffix(k, ":end"):
			key := fmt.Sprint(strings.TrimSuffix(k, ":end"), e.Obj.String(), e.Proc)
			if i, ok := open[key]; ok {
				out[i].end = e.At
				delete(open, key)
			}
		}
	}
	return out
}

func spansOf(all []span, kind string) []span {
	var out []span
	for _, s := range all {
		if s.kind == kind {
			out = append(out, s)
		}
	}
	return out
}
