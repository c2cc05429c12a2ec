package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/cmd/desrun/cli"
)

func desrun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// demoSmall is a Spec small enough for explore: one engine-demo device, three ops.
const demoSmall = `{"topology":{"devices":[{"name":"gpu0","driver":"demo"}]},"apps":[{"kind":"render","device":"gpu0","count":1,"ops":3,"interval_ns":3000}],"events":[{"kind":"unplug","device":"gpu0","at_ns":5000}]}`

// readmeCommands are the desrun command lines of README.md's fenced shell blocks, in order:
// a line that starts with "desrun" or "go run ./cmd/desrun", joined with its "\"
// continuations, the trailing "# comment" dropped.
func readmeCommands(t *testing.T) [][]string {
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	defer f.Close()
	var cmds [][]string
	inShell, cont := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```"):
			inShell = !inShell && (line == "```sh" || line == "```bash" || line == "```shell")
			continue
		case !inShell:
			continue
		}
		if cont != "" {
			line = cont + " " + strings.TrimSpace(line)
			cont = ""
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if s, ok := strings.CutSuffix(strings.TrimSpace(line), "\\"); ok {
			cont = s
			continue
		}
		if args, ok := desrunArgs(line); ok {
			cmds = append(cmds, args)
		}
	}
	require.NoError(t, sc.Err())
	return cmds
}

func desrunArgs(line string) ([]string, bool) {
	for _, prefix := range []string{"desrun ", "go run ./cmd/desrun "} {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			return strings.Fields(rest), true
		}
	}
	return nil, false
}

var reSeeds = regexp.MustCompile(`^(\d+):(\d+)$`)

// shrinkArgs makes a README command small enough for a test: at most 12 seeds a sweep (5 a
// compare, on 1 and 2 devices).
func shrinkArgs(args []string) []string {
	out := append([]string(nil), args...)
	limit := uint64(12)
	if len(out) > 0 && out[0] == "compare" {
		limit = 5
	}
	for i := 1; i < len(out); i++ {
		switch out[i-1] {
		case "--seeds":
			if m := reSeeds.FindStringSubmatch(out[i]); m != nil {
				lo, _ := strconv.ParseUint(m[1], 10, 64)
				hi, _ := strconv.ParseUint(m[2], 10, 64)
				out[i] = fmt.Sprintf("%d:%d", lo, min(hi, lo+limit-1))
			}
		case "--devices":
			out[i] = "1,2"
		}
	}
	return out
}

// outputs are the files and directories a command says it writes.
func outputs(args []string) []string {
	var out []string
	for i := 1; i < len(args); i++ {
		switch args[i-1] {
		case "--out", "-o", "--tape", "--trace":
			out = append(out, args[i])
		}
	}
	return out
}

// flagValue is the value of flag name in args ("" if absent).
func flagValue(args []string, name string) string {
	for i := 1; i < len(args); i++ {
		if args[i-1] == name {
			return args[i]
		}
	}
	return ""
}

// readmeFixtures writes what the README assumes the reader made: small.json, a Spec small
// enough for explore.
func readmeFixtures(t *testing.T) {
	require.NoError(t, os.WriteFile("small.json", []byte(demoSmall), 0o644))
}

// missingShards runs, for a merge of part<N>.jsonl files the README made only one of, the
// README's shard sweep for each missing N.
func missingShards(t *testing.T, merge []string, done [][]string) {
	var shard []string
	for _, c := range done {
		if flagValue(c, "--shard") != "" {
			shard = c
		}
	}
	for _, in := range merge[1:] {
		if strings.HasPrefix(in, "-") || flagValue(merge, "--out") == in {
			continue
		}
		if _, err := os.Stat(in); err == nil || shard == nil {
			continue
		}
		n := strings.TrimSuffix(strings.TrimPrefix(in, "part"), ".jsonl")
		args := append([]string(nil), shard...)
		for i := 1; i < len(args); i++ {
			switch args[i-1] {
			case "--shard":
				args[i] = n + "/4"
			case "--out":
				args[i] = in
			}
		}
		code, _, errOut := desrun(args...)
		require.LessOrEqual(t, code, 1, "%v: %s", args, errOut)
	}
}

// neverFails are the commands that run no simulation whose race would make them exit 1.
var neverFails = map[string]bool{"help": true, "list": true, "plot": true, "report": true}

// The README's desrun commands run as written, on fewer seeds: each exits 0 (or 1, a race
// found) and writes the files it names, so that the README cannot go stale.
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every desrun command of the README")
	}
	cmds := readmeCommands(t)
	require.GreaterOrEqual(t, len(cmds), 10, "README.md's desrun commands")
	t.Chdir(t.TempDir())
	readmeFixtures(t)
	var done [][]string
	for _, c := range cmds {
		args := shrinkArgs(c)
		if args[0] == "merge" {
			missingShards(t, args, done)
		}
		code, out, errOut := desrun(args...)
		line := "desrun " + strings.Join(args, " ")
		t.Logf("exit %d: %s", code, line)
		if !assert.LessOrEqual(t, code, 1, "%s\n%s%s", line, out, errOut) {
			continue
		}
		if neverFails[args[0]] {
			assert.Zero(t, code, "%s\n%s%s", line, out, errOut)
		}
		assert.Positive(t, len(out), "%s printed nothing", line)
		for _, o := range outputs(args) {
			_, err := os.Stat(o)
			assert.NoError(t, err, "%s did not write %s", line, o)
		}
		done = append(done, args)
	}
}

// Every other command of README.md's fenced shell blocks (make run, make test, go install) is
// one that CI's script runs, so that no README command goes untried.
func TestReadmeOtherCommandsRunInCI(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	ci, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	require.NoError(t, err)
	var ciLines []string
	for l := range strings.SplitSeq(string(ci), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ciLines = append(ciLines, l)
		}
	}
	inShell, others := false, 0
	for line := range strings.SplitSeq(string(readme), "\n") {
		if strings.HasPrefix(line, "```") {
			inShell = !inShell && (line == "```sh" || line == "```bash" || line == "```shell")
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if !inShell || line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "--") {
			continue // a continuation line belongs to the desrun command above it
		}
		if _, ok := desrunArgs(line); ok {
			continue
		}
		others++
		assert.True(t, slices.ContainsFunc(ciLines, func(c string) bool { return strings.Contains(c, line) }),
			"README command %q is run by no test and not by .ci/run", line)
	}
	assert.Positive(t, others, "README.md's set-up commands")
}

var updateFigures = flag.Bool("update-figures", false, "redraw README.md's figures from the commands that make them (make figures)")

// readmeFigures are README.md's images, each with the file of $OUT a README command writes
// that it is.
var readmeFigures = []struct{ image, command, file string }{
	{"docs/img/pci-bar-move-fault-latency-vs-devices.png", "compare", "compare-fault.png"},
}

// README.md's figures are what its own commands draw now: each is redrawn by running the
// command as written (no fewer seeds) and compared pixel by pixel.
func TestReadmeFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the README's figure commands in full")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	cmds := readmeCommands(t)
	t.Chdir(t.TempDir())
	for _, f := range readmeFigures {
		require.Contains(t, string(readme), "]("+f.image+")", "README.md shows %s", f.image)
		i := slices.IndexFunc(cmds, func(c []string) bool { return c[0] == f.command })
		require.GreaterOrEqual(t, i, 0, "README.md has no desrun %s command", f.command)
		code, out, errOut := desrun(cmds[i]...)
		require.LessOrEqual(t, code, 1, "%s%s", out, errOut)
		got := filepath.Join(flagValue(cmds[i], "-o"), f.file)
		want := filepath.Join(root, f.image)
		if *updateFigures {
			b, err := os.ReadFile(got)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(want, b, 0o644))
			continue
		}
		assert.True(t, samePixels(t, got, want),
			"%s is not what 'desrun %s' draws now; run make figures and read the image", f.image, strings.Join(cmds[i], " "))
	}
}

// samePixels reports whether two PNG files hold the same image (their encodings may differ).
func samePixels(t *testing.T, a, b string) bool {
	t.Helper()
	decode := func(path string) image.Image {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		img, err := png.Decode(f)
		require.NoError(t, err, path)
		return img
	}
	ia, ib := decode(a), decode(b)
	if ia.Bounds() != ib.Bounds() {
		return false
	}
	for y := ia.Bounds().Min.Y; y < ia.Bounds().Max.Y; y++ {
		for x := ia.Bounds().Min.X; x < ia.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := ia.At(x, y).RGBA()
			r2, g2, b2, a2 := ib.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// traceRef is a trace number as the text about a run names it (#1135).
var traceRef = regexp.MustCompile(`#[0-9]+\b`)

// README.md's console blocks ("$ desrun ..." and the output it prints) show exactly what the
// command prints now, and the paragraph after a block names only trace numbers its causal
// slice marks.
func TestReadmeConsoleOutput(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	blocks := 0
	for _, block := range strings.Split(string(readme), "```console\n")[1:] {
		body, prose, ok := strings.Cut(block, "\n```")
		require.True(t, ok, "unterminated console block")
		cmdLine, want, _ := strings.Cut(body, "\n")
		prose, _, _ = strings.Cut(strings.TrimLeft(prose, "\n"), "\n\n")
		for _, ref := range traceRef.FindAllString(prose, -1) {
			assert.Contains(t, want, "* "+ref+" ", "the text after %q names trace %s, which its output does not mark", cmdLine, ref)
		}
		args, ok := desrunArgs(strings.TrimPrefix(cmdLine, "$ "))
		require.True(t, ok, "console block without a desrun command: %q", cmdLine)
		code, out, errOut := desrun(args...)
		require.LessOrEqual(t, code, 1, errOut)
		assert.Equal(t, want, strings.TrimRight(out, "\n"), "README.md's output of %q is stale", cmdLine)
		blocks++
	}
	assert.Positive(t, blocks, "README.md's console blocks")
}
