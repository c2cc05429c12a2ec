package cli

import (
	"fmt"
	"io"
	"slices"
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
		fmt.Fprintf(tw, "    spec\tapps %s; events %s\n", strings.Join(sc.AppKinds, ", "), strings.Join(sc.EventKinds, ", "))
		if sp := sc.SparseSpec; sp != nil {
			z := sp.Size()
			fmt.Fprintf(tw, "    sparse spec\t--spec sparse: real-life rates; instances %d, ops %d, events %d\n", z.Instances, z.Ops, z.Events)
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nStrategies:")
	printPairs(stdout, des.Strategies)
	fmt.Fprintln(stdout, "\nOracles (violation kinds):")
	kinds := slices.Clone(oracle.Kinds)
	printPairs(stdout, kinds)
	fmt.Fprintln(stdout, "\nApp kinds (Spec apps[].kind):")
	printKinds(stdout, workloads.AppKinds)
	fmt.Fprintln(stdout, "\nPlatform event kinds (Spec events[].kind):")
	printKinds(stdout, workloads.EventKinds)
	return ExitPass, nil
}

func printPairs(w io.Writer, pairs [][2]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range pairs {
		fmt.Fprintf(tw, "  %s\t%s\n", p[0], p[1])
	}
	tw.Flush()
}

func printKinds(w io.Writer, kinds workloads.KindTable) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range kinds {
		fmt.Fprintf(tw, "  %s\t%s\n", k.Name, k.Doc)
	}
	tw.Flush()
}

func joinKinds(ks []des.ViolationKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
