package workloads

import (
	"fmt"
	"strconv"
	"strings"
)

// WithDevices returns a copy of s with n devices of the kind of its first device: the first
// device is kept and n-1 copies of it (same driver and policy) are added after the existing
// devices, named after it ("gpu0" → "gpu1", "gpu2", ...; a name without a trailing number
// gets "-1", "-2", ...; names already taken are skipped). Every app and every per-device
// platform event on the first device is repeated on each copy (a relative event follows the
// copy of its app), so the load grows with the devices; a rescan is bus-wide and stays one. The result is validated: a Spec that would exceed the
// limits (MaxDevices, MaxApps, MaxInstances, MaxEvents) is an error. Whether a scenario's
// model can take the devices is for its CheckSpec and Build to say.
func (s Spec) WithDevices(n int) (Spec, error) {
	if len(s.Topology.Devices) == 0 {
		return Spec{}, fmt.Errorf("spec has no devices to copy")
	}
	if n < 1 || n > MaxDevices {
		return Spec{}, fmt.Errorf("devices: %d: want 1 to %d", n, MaxDevices)
	}
	out := s.Clone()
	first := s.Topology.Devices[0]
	taken := map[string]bool{}
	for _, d := range s.Topology.Devices {
		taken[d.Name] = true
	}
	stem, num := splitNumber(first.Name)
	var names []string
	for next := num + 1; len(names) < n-1 && next < num+1+MaxDevices*4; next++ {
		name := stem + strconv.Itoa(next)
		if num < 0 {
			name = first.Name + "-" + strconv.Itoa(next+1)
		}
		if !taken[name] {
			taken[name] = true
			names = append(names, name)
		}
	}
	if len(names) < n-1 {
		return Spec{}, fmt.Errorf("devices: no free names for %d copies of %s", n-1, first.Name)
	}
	appOf := map[int][]int{} // app index on the first device -> its copies' indexes
	for _, name := range names {
		d := first
		d.Name = name
		out.Topology.Devices = append(out.Topology.Devices, d)
		for i, a := range s.Apps {
			if a.Device != first.Name {
				continue
			}
			c := a
			c.Device = name
			c.BOs = append([]BO(nil), a.BOs...)
			appOf[i] = append(appOf[i], len(out.Apps))
			out.Apps = append(out.Apps, c)
		}
	}
	for k := range names {
		for _, ev := range s.Events {
			if ev.Device != first.Name || ev.Kind == EvRescan {
				continue
			}
			c := ev
			c.Device = names[k]
			if ev.After != nil {
				after := *ev.After
				if copies, ok := appOf[after.App]; ok {
					after.App = copies[k]
				}
				c.After = &after
			}
			out.Events = append(out.Events, c)
		}
	}
	if err := out.Validate(); err != nil {
		return Spec{}, fmt.Errorf("%d devices: %w", n, err)
	}
	return out, nil
}

// splitNumber splits a trailing decimal number off name: "gpu0" → ("gpu", 0); -1 if none.
func splitNumber(name string) (string, int) {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i == len(name) || len(name)-i > 6 {
		return name, -1
	}
	n, _ := strconv.Atoi(name[i:])
	return strings.Clone(name[:i]), n
}
