package des

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeTape: what decodes re-encodes to bytes that decode to the same tape; errors are
// one line and wrap ErrBadTape; and a decoded tape replays without crashing the engine,
// whatever its values (a cut or garbled tape runs on with defaults).
func FuzzDecodeTape(f *testing.F) {
	for _, strategy := range []string{"fifo", "random:100ns", "pct:2:300"} {
		s, err := New(Config{Seed: 3, Strategy: strategy})
		if err != nil {
			f.Fatal(err)
		}
		stress(s, 3)
		var b bytes.Buffer
		if err := s.Run().Tape().Encode(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte(`{"format":"hotplugsim-tape","version":1,"seed":1,"strategy":"fifo","streams":{}}`))
	f.Add([]byte(`{"format":"hotplugsim-tape","version":1,"seed":1,"strategy":"random","meta":{"a":"b"},"streams":{"pick":[0,99999999999,-1]}}`))
	f.Add([]byte(`{"format":"hotplugsim-tape","version":2,"streams":{}}`))
	f.Add([]byte(`{"format":"hotplugsim-tape","version":1,"strategy":"pct:0","streams":{}}`))
	f.Add([]byte("not json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tape, err := DecodeTape(bytes.NewReader(data))
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			require.ErrorIs(t, err, ErrBadTape)
			return
		}
		var b1, b2 bytes.Buffer
		require.NoError(t, tape.Encode(&b1))
		back, err := DecodeTape(bytes.NewReader(b1.Bytes()))
		require.NoError(t, err, b1.String())
		require.NoError(t, back.Encode(&b2))
		require.Equal(t, b1.String(), b2.String())
		if tape.Len() > 1<<16 || strings.Contains(tape.Strategy, "pct") && len(tape.Strategy) > 32 {
			return // keep each input quick
		}
		s, err := New(Config{Tape: tape, MaxEvents: 1 << 14})
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		stress(s, 3)
		s.Run()
	})
}
