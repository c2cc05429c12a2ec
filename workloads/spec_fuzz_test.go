package workloads_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	_ "hotplugsim/workloads/enginedemo"
)

// FuzzDecodeSpec: a Spec that decodes is valid, and its JSON decodes to the same Spec with
// the same hash; errors are one line. Growing it to more devices either fails with one line
// or gives a valid Spec.
func FuzzDecodeSpec(f *testing.F) {
	f.Add([]byte(goodSpec))
	for _, sc := range workloads.All() {
		f.Add(sc.Spec.JSON())
	}
	f.Add([]byte(`{"topology": {"devices": [{"name": "gpu0", "driver": "demo"}]}, "apps": [{"kind": "render", "device": "gpu0", "count": 0}]}`))
	f.Add([]byte(`{"topology": {"devices": []}, "extra": 1}`))
	f.Add([]byte(`{"topology":{"devices":[{"name":"a","driver":"d"}]},"apps":[],"events":[{"kind":"unplug","device":"a","at_ns":5,"after":{"app":0,"op":0}}],"budgets":{}} {}`))
	f.Add([]byte(`{"apps": [`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := workloads.DecodeSpec(bytes.NewReader(data))
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		require.NoError(t, s.Validate())
		back, err := workloads.DecodeSpec(bytes.NewReader(s.JSON()))
		require.NoError(t, err, string(s.JSON()))
		require.True(t, back.Equal(s))
		require.Equal(t, s.Hash(), back.Hash())
		require.True(t, s.Clone().Equal(s))
		for _, n := range []int{1, 2, 4} {
			grown, err := s.WithDevices(n)
			if err != nil {
				require.NotContains(t, err.Error(), "\n")
				continue
			}
			require.NoError(t, grown.Validate())
		}
	})
}
