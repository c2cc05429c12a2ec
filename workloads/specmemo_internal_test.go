package workloads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"testing"

	"hotplugsim/des"
)

// memoBase is a Spec with every kind of slice and pointer a Spec has (the scenarios' own
// Specs are not registered in this package's tests).
var memoBase = Spec{
	Topology: Topology{Devices: []Device{{Name: "gpu0", Driver: "amdgpu"}, {Name: "gpu1", Driver: "amdgpu", Policy: "v6"}}},
	Apps: []App{{Kind: AppRender, Device: "gpu0", Count: 2, Ops: 3, IntervalNs: 1000,
		BOs: []BO{{SizeBytes: 8192, Placement: PlaceGTT}}}, {Kind: AppIdle, Device: "gpu1", Count: 1}},
	Events:  []Event{{Kind: EvUnplug, Device: "gpu0", AtNs: 5000}, {Kind: EvReplug, Device: "gpu0", After: &AppEvent{App: 0, Op: 2}}},
	Budgets: Budgets{MaxEvents: 100},
}

// specVariants are Specs that differ from base in small ways, nil and empty slices included.
func specVariants(base Spec) []Spec {
	empty := base.Clone()
	empty.Apps, empty.Events = []App{}, []Event{}
	nilled := base.Clone()
	nilled.Apps, nilled.Events = nil, nil
	more := base.Clone()
	more.Apps = append(more.Apps, App{Kind: AppRender, Device: "gpu0", Count: 1, Ops: 2,
		BOs: []BO{{SizeBytes: 4096, Placement: PlaceVRAM}}})
	more.Events = append(more.Events, Event{Kind: EvUnplug, Device: "gpu0", After: &AppEvent{App: 0, Op: 1}})
	bumped := more.Clone()
	bumped.Events[len(bumped.Events)-1].After.Op = 0
	return []Spec{base, empty, nilled, more, bumped, base}
}

func TestHashMemoIsHash(t *testing.T) {
	fresh := func(s Spec) string {
		b, _ := json.Marshal(s)
		h := fnv.New64a()
		h.Write(b)
		return fmt.Sprintf("%016x", h.Sum64())
	}
	for i, s := range specVariants(memoBase) {
		for range 2 { // a miss, then the memo
			if got, want := s.Hash(), fresh(s); got != want {
				t.Fatalf("variant %d: Hash %s, want %s", i, got, want)
			}
		}
	}
}

// isDefaultSpec answers as Equal, from the memo or not, for every pair of variants (each pair
// asked twice, so the second answer is the memo's), and a memo of one pair never answers for
// another.
func TestIsDefaultSpecIsEqual(t *testing.T) {
	vs := specVariants(memoBase)
	for i, a := range vs {
		for j, b := range vs {
			for range 2 {
				if got, want := isDefaultSpec(a, b), a.Equal(b); got != want {
					t.Fatalf("variants %d, %d: isDefaultSpec %v, Equal %v", i, j, got, want)
				}
			}
		}
	}
}

func TestCloneForIsClone(t *testing.T) {
	pool := des.NewPool(0)
	defer pool.Close()
	for i, s := range specVariants(memoBase) {
		sim := des.MustNew(des.Config{Seed: 1, Pool: pool})
		c, want := cloneFor(sim, s), s.Clone()
		if !reflect.DeepEqual(c, want) || !bytes.Equal(c.JSON(), s.JSON()) {
			t.Fatalf("variant %d: cloneFor differs from Clone", i)
		}
		// A deep copy: writing it leaves s alone.
		for j := range c.Apps {
			c.Apps[j].Count++
			for k := range c.Apps[j].BOs {
				c.Apps[j].BOs[k].SizeBytes++
			}
		}
		for j := range c.Events {
			if c.Events[j].After != nil {
				c.Events[j].After.Op++
			}
		}
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("variant %d: cloneFor shares storage with its source", i)
		}
		sim.Run()
	}
}

func TestSpecEqualIsDeepEqual(t *testing.T) {
	vs := specVariants(memoBase)
	extra := memoBase.Clone()
	extra.Apps[0].BOs = nil
	vs = append(vs, extra)
	extra2 := memoBase.Clone()
	extra2.Apps[0].BOs = []BO{}
	vs = append(vs, extra2)
	extra3 := memoBase.Clone()
	extra3.Topology.Devices[1].Policy = ""
	vs = append(vs, extra3)
	for i := range vs {
		for j := range vs {
			if got, want := specEqual(&vs[i], &vs[j]), reflect.DeepEqual(vs[i], vs[j]); got != want {
				t.Errorf("variants %d and %d: specEqual %v, DeepEqual %v", i, j, got, want)
			}
		}
	}
}

// TestSpecEqualCoversSpec fails when Spec gains a field specEqual does not compare.
func TestSpecEqualCoversSpec(t *testing.T) {
	var fields []string
	var walk func(reflect.Type)
	seen := map[reflect.Type]bool{}
	walk = func(ty reflect.Type) {
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(ty.Elem())
		case reflect.Struct:
			if seen[ty] {
				return
			}
			seen[ty] = true
			for i := range ty.NumField() {
				f := ty.Field(i)
				fields = append(fields, ty.Name()+"."+f.Name+" "+f.Type.String())
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(Spec{}))
	want := []string{
		"Spec.Topology workloads.Topology", "Topology.Devices []workloads.Device",
		"Device.Name string", "Device.Driver string", "Device.Policy string",
		"Spec.Apps []workloads.App", "App.Kind workloads.AppKind", "App.Device string", "App.Peer string",
		"App.Count int", "App.Ops int", "App.IntervalNs int64", "App.BOs []workloads.BO",
		"BO.SizeBytes int64", "BO.Placement string",
		"Spec.Events []workloads.Event", "Event.Kind workloads.EventKind", "Event.Device string", "Event.AtNs int64",
		"Event.After *workloads.AppEvent", "AppEvent.App int", "AppEvent.Op int", "Event.BARSizeBytes int64",
		"Spec.Budgets workloads.Budgets", "Budgets.MaxEvents uint64", "Budgets.MaxTimeNs int64",
		"Budgets.HangTimeoutNs int64",
	}
	slices.Sort(fields)
	slices.Sort(want)
	if !slices.Equal(fields, want) {
		t.Fatalf("Spec's fields changed: update specEqual and cloneFor (specmemo.go), then this list\ngot  %q\nwant %q", fields, want)
	}
}

func TestHex16(t *testing.T) {
	for _, x := range []uint64{0, 1, 0xf, 0x10, 0xdeadbeef, 1 << 63, ^uint64(0), 0x0123456789abcdef} {
		if got, want := hex16(x), fmt.Sprintf("%016x", x); got != want {
			t.Errorf("hex16(%#x) = %s, want %s", x, got, want)
		}
	}
}
