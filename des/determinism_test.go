package des

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var detCases = []struct {
	seed  uint64
	strat string
}{{1, "fifo"}, {2, "random"}, {3, "random:200ns"}, {4, "pct:3:500"}, {5, "pct:2:500"}}

func detFingerprints(t testing.TB) []string {
	var out []string
	for _, c := range detCases {
		r := runStress(t, Config{Seed: c.seed, Strategy: c.strat}, 6)
		out = append(out, fmt.Sprintf("%s/%d=%s", c.strat, c.seed, fp(r)))
	}
	return out
}

func TestSameSeedSameFingerprint(t *testing.T) {
	a, b := detFingerprints(t), detFingerprints(t)
	assert.Equal(t, a, b)
	seen := map[string]bool{}
	for _, s := range a {
		seen[s[strings.Index(s, "=")+1:]] = true
	}
	assert.Len(t, seen, len(a), "different seeds/strategies give different runs")
}

// TestFingerprintChild is the body run in a separate process by TestFingerprintAcrossProcesses.
func TestFingerprintChild(t *testing.T) {
	if os.Getenv("DES_FINGERPRINT_CHILD") != "1" {
		t.Skip("run as a child of TestFingerprintAcrossProcesses")
	}
	fmt.Printf("FINGERPRINTS %s GOMAXPROCS=%d\n", strings.Join(detFingerprints(t), " "), runtime.GOMAXPROCS(0))
}

func TestFingerprintAcrossProcesses(t *testing.T) {
	want := strings.Join(detFingerprints(t), " ")
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFingerprintChild$", "-test.v")
		cmd.Env = append(os.Environ(), "DES_FINGERPRINT_CHILD=1", "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		line := ""
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "FINGERPRINTS ") {
				line = l
			}
		}
		require.NotEmpty(t, line, string(out))
		assert.Equal(t, "FINGERPRINTS "+want+" GOMAXPROCS="+procs, line)
	}
}

func TestFingerprintInProcessGOMAXPROCS(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	one := detFingerprints(t)
	runtime.GOMAXPROCS(2)
	two := detFingerprints(t)
	runtime.GOMAXPROCS(old)
	assert.Equal(t, one, two)
}

// TestFingerprintWithConcurrentSims: two other simulations run on other goroutines meanwhile.
func TestFingerprintWithConcurrentSims(t *testing.T) {
	want := detFingerprints(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for seed := uint64(100 * (i + 1)); ; seed++ {
				select {
				case <-stop:
					return
				default:
				}
				runStress(t, Config{Seed: seed, Strategy: "random"}, 8)
			}
		}(i)
	}
	for rep := 0; rep < 5; rep++ {
		assert.Equal(t, want, detFingerprints(t))
	}
	close(stop)
	wg.Wait()
}
