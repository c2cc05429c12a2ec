package cli

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
)

// Version is desrun's version. Release builds set it with
// -ldflags '-X hotplugsim/cmd/desrun/cli.Version=v1.2.3'; otherwise it comes from the build
// information (the module version, or the VCS revision a 'go build' in a checkout records).
var Version = ""

var toolVersion = sync.OnceValue(func() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" && !strings.Contains(v, rev[:min(12, len(rev))]) {
		v += "+" + rev[:min(12, len(rev))] + dirty
	}
	return v
})

func runVersion(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("version", "", "Print desrun's version: the tool_version every file desrun writes carries.")
	if _, err := f.parse(args, stdout, 0, 0); err != nil {
		return ExitUsage, err
	}
	fmt.Fprintf(stdout, "desrun %s\n", toolVersion())
	return ExitPass, nil
}
