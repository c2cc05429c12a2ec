package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is the sweep's progress bar; it shows only when stderr is a terminal.
type progress struct {
	bar        *progressbar.ProgressBar
	violations uint64
	pending    int64 // steps not yet shown: the bar takes a lock per call
}

func newProgress(stderr io.Writer, total, done uint64) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	bar := progressbar.NewOptions64(int64(total),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("violations 0"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("runs"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	bar.Set64(int64(done))
	return &progress{bar: bar}
}

func (p *progress) step(violations uint64) {
	if p.bar == nil {
		return
	}
	p.pending++
	if violations != p.violations {
		p.violations = violations
		p.bar.Describe(fmt.Sprintf("violations %d", violations))
	}
	if p.pending >= 64 {
		p.bar.Add64(p.pending)
		p.pending = 0
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Add64(p.pending)
		p.bar.Finish()
	}
}
