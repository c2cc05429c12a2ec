package workloads

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"hotplugsim/des"
)

// Signature buckets violations as syzkaller buckets crashes: two runs with one signature are
// taken to be the same bug. It is the violation's kind, its title (the first line of its
// message with what varies between seeds replaced by '*') and the model function the
// violating process was in: the kind of its last trace event before the violation ("" when
// the engine reported it, or the process left no event).
type Signature struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Func  string `json:"func,omitempty"`
}

// SignatureOf is the signature of v. Its function is v.Func, which the engine records with
// or without the trace ring; a Violation made without it (Func "") falls back to v.Related.
func SignatureOf(v des.Violation) Signature {
	s := Signature{Kind: string(v.Kind), Title: Title(v.Msg)}
	if v.PID < 0 {
		return s
	}
	if v.Func != "" {
		s.Func = v.Func
		return s
	}
	for i := len(v.Related) - 1; i >= 0; i-- {
		if int(v.Related[i].Proc) == v.PID {
			s.Func = v.Related[i].Kind.String()
			break
		}
	}
	return s
}

// String is the signature in one line: "kind: title [in func]".
func (s Signature) String() string {
	if s.Func == "" {
		return s.Kind + ": " + s.Title
	}
	return s.Kind + ": " + s.Title + " [in " + s.Func + "]"
}

// ID is a short stable name for the signature: 8 hex digits of the FNV-1a hash of its kind,
// title and function. Two signatures may share an ID (a 32-bit hash): files key on the whole
// signature, the ID is for display.
func (s Signature) ID() string {
	h := fnv.New32a()
	h.Write([]byte(s.Kind + "\x00" + s.Title + "\x00" + s.Func))
	return fmt.Sprintf("%08x", h.Sum32())
}

var (
	logPrefix   = regexp.MustCompile(`^\[\s*\d+\.\d+\]\s*`)
	titleTime   = regexp.MustCompile(`\d+(?:\.\d+)?(?:ns|us|µs|ms|s)\b`)
	titleHex    = regexp.MustCompile(`0[xX][0-9a-fA-F]+`)
	titleHash   = regexp.MustCompile(`#\d+`)
	titlePID    = regexp.MustCompile(`/\d+\b`)
	titleSuffix = regexp.MustCompile(`\b([A-Za-z][A-Za-z_-]*?)\d+(?:\.\d+)*\b`)
	titleNumber = regexp.MustCompile(`\b\d+\b`)
	titleSpace  = regexp.MustCompile(`\s+`)
)

// Title is the first line of a violation message normalised so that it does not vary between
// seeds: a kernel-log timestamp prefix is cut, times (12us, 3.1ms, @0ns) become '*', hex
// numbers 0x*, numbers after '#' and pids after '/' '*', instance suffixes of names (app3,
// render0.1, gpu1) become app*, render*, gpu*, and any other decimal number '*'. Leading lines
// that hold no letter (a splat's "=====" rule) are skipped.
func Title(msg string) string {
	line := ""
	for l := range strings.SplitSeq(msg, "\n") {
		if strings.ContainsFunc(l, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) {
			line = l
			break
		}
	}
	line = logPrefix.ReplaceAllString(strings.TrimSpace(line), "")
	line = titleTime.ReplaceAllString(line, "*")
	line = titleHex.ReplaceAllString(line, "0x*")
	line = titleHash.ReplaceAllString(line, "#*")
	line = titlePID.ReplaceAllString(line, "/*")
	line = titleSuffix.ReplaceAllString(line, "${1}*")
	line = titleNumber.ReplaceAllString(line, "*")
	return titleSpace.ReplaceAllString(strings.TrimSpace(line), " ")
}
