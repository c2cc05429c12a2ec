// Package reportstest helps tests check what a report looks like in a browser: it finds
// Debian's headless Chromium (skipping the test when it is not installed; .ci/run installs
// it), runs it on a page, and measures how much of a screenshot is drawn.
package reportstest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Chromium returns the path of the chromium binary, or skips t.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (/usr/bin/chromium): skipping the headless render of the HTML report; CI installs it with: apt-get install -y chromium")
	return ""
}

// RunChromium runs bin headless with args (a URL last) and returns its standard output. It
// fails t if Chromium fails or takes more than 90 s.
func RunChromium(t testing.TB, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium %v: %s", args, stderr.String())
	return stdout.Bytes()
}

// DrawnPixels decodes a PNG and counts the pixels that differ from its top-left pixel (the
// background): a blank image has none.
func DrawnPixels(t testing.TB, data []byte) (image.Rectangle, int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	return img.Bounds(), DrawnPixelsIn(t, data, img.Bounds())
}

// DrawnPixelsIn decodes a PNG and counts the pixels inside r that differ from the image's
// top-left pixel (the page background).
func DrawnPixelsIn(t testing.TB, data []byte, r image.Rectangle) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	b := img.Bounds()
	r = r.Intersect(b)
	br, bg, bb, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr != br || cg != bg || cb != bb {
				n++
			}
		}
	}
	return n
}
