package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
)

func runList(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("list", "", "List the registered scenarios with their policies (buggy ones with the violation kind\nthey are expected to produce), oracles and default strategy; then the strategies, the\noracles (violation kinds), and the app and platform event kinds of a workload Spec.")
	if _, err := f.parse(args, stdout, 0, 0); err != nil {
		return ExitUsage, err
	}
	def := workloads.Default()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	switch {
	case def == nil:
		fmt.Fprintln(tw, "Scenarios: none registered")
	case def.Name == workloads.DefaultScenario:
		fmt.Fprintf(tw, "Scenarios (default: %s):\n", def.Name)
	default:
		fmt.Fprintf(tw, "Scenarios (default: %s, the first by name, because %s is not registered in this build):\n", def.Name, workloads.DefaultScenario)
	}
	for _, sc := range workloads.All() {
		fmt.Fprintf(tw, "  %s\t%s\n", sc.Name, sc.Doc)
		for _, p := range sc.Policies {
			kind := "fixed"
			if p.Buggy {
				kind = "buggy -> " + string(p.Expect)
			}
			if p.Name == sc.DefaultPolicy {
				kind += ", default"
			}
			fmt.Fprintf(tw, "    policy %s\t%s: %s\n", p.Name, kind, p.Doc)
		}
		fmt.Fprintf(tw, "    oracles\t%s\n", joinKinds(sc.Oracles))
		fmt.Fprintf(tw, "    strategy\t%s\n", sc.Strategy)
		fmt.Fprintf(tw, "    spec\tapps %s; events %s\n", joinKinds(sc.AppKinds), joinKinds(sc.EventKinds))
		if sp := sc.SparseSpec; sp != nil {
			z := sp.Size()
			fmt.Fprintf(tw, "    sparse spec\t--spec sparse: real-life rates; instances %d, ops %d, events %d\n", z.Instances, z.Ops, z.Events)
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nStrategies:")
	printTable(stdout, des.Strategies, func(st des.StrategyDoc) (string, string) { return st.Syntax, st.Doc })
	fmt.Fprintln(stdout, "\nOracles (violation kinds):")
	printTable(stdout, oracle.Table, func(o oracle.Oracle) (string, string) { return string(o.Kind), o.Doc })
	fmt.Fprintln(stdout, "\nApp kinds (Spec apps[].kind):")
	printTable(stdout, workloads.AppKinds, kindLine[workloads.AppKind])
	fmt.Fprintln(stdout, "\nPlatform event kinds (Spec events[].kind):")
	printTable(stdout, workloads.EventKinds, kindLine[workloads.EventKind])
	return ExitPass, nil
}

// printTable prints one of the tables desrun list shows, a name and its line per row.
func printTable[T any](w io.Writer, rows []T, line func(T) (name, doc string)) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		name, doc := line(r)
		fmt.Fprintf(tw, "  %s\t%s\n", name, doc)
	}
	tw.Flush()
}

func kindLine[K ~string](k workloads.KindDoc[K]) (string, string) { return string(k.Name), k.Doc }

// joinKinds joins kinds of any of the kind types (violation, app, event kinds).
func joinKinds[K ~string](ks []K) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
