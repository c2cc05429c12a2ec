package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func desrun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIUsageAndErrors(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		code    int
		stdout  string
		stderr  string
		oneLine bool
	}{
		{nil, 2, "", "Usage:", false},
		{[]string{"help"}, 0, "Commands:", "", false},
		{[]string{"-h"}, 0, "Commands:", "", false},
		{[]string{"help", "demo"}, 0, "Usage: desrun demo", "", false},
		{[]string{"demo", "-h"}, 0, "-strategy", "", false},
		{[]string{"bogus"}, 2, "", `unknown command "bogus"`, true},
		{[]string{"demo", "--seeds", "10:1"}, 2, "", `bad seed range "10:1"`, true},
		{[]string{"demo", "--seeds", "x"}, 2, "", `bad seed range "x"`, true},
		{[]string{"demo", "--strategy", "lifo"}, 2, "", `unknown strategy "lifo"`, true},
		{[]string{"demo", "--nope"}, 2, "", "flag provided but not defined: -nope", true},
		{[]string{"demo", "extra"}, 2, "", `unexpected argument "extra"`, true},
	} {
		code, stdout, stderr := desrun(tc.args...)
		name := strings.Join(tc.args, " ")
		assert.Equal(t, tc.code, code, name)
		if tc.stdout != "" {
			assert.Contains(t, stdout, tc.stdout, name)
		}
		if tc.stderr != "" {
			assert.Contains(t, stderr, tc.stderr, name)
		}
		if tc.oneLine {
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one-line error for %q: %q", name, stderr)
			assert.Empty(t, stdout, name)
		}
	}
}

func TestDemoVerdictsAndExitCodes(t *testing.T) {
	code, out, _ := desrun("demo", "--seeds", "1:300", "--strategy", "fifo")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "violations  0")

	code, out, _ = desrun("demo", "--seeds", "1:300", "--strategy", "random:2us")
	require.Equal(t, 1, code, out)
	assert.Contains(t, out, "use-after-unmap")
	line := out[strings.Index(out, "desrun demo"):]
	line = strings.TrimSpace(line[:strings.Index(line, "\n")])

	// The printed line reproduces the violation.
	args := strings.Fields(line)[1:]
	code, again, _ := desrun(args...)
	assert.Equal(t, 1, code, line)
	assert.Contains(t, again, "violations  1")
}

func TestDemoJSON(t *testing.T) {
	code, out, _ := desrun("demo", "--seeds", "1:300", "--strategy", "random", "--json")
	require.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum demoSummary
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
	assert.Equal(t, 300, sum.Runs)
	assert.Equal(t, len(lines)-1, sum.Violations)
	var first demoResult
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, "violation", first.Verdict)
	assert.Equal(t, sum.FirstViolationSd, first.Seed)
	assert.Len(t, first.Fingerprint, 16)
}
