package strictjson_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/internal/strictjson"
)

type inner struct {
	SizeBytes int64 `json:"size_bytes"`
}

type base struct {
	Kind string `json:"kind"`
}

type outer struct {
	*base
	Apps   []inner          `json:"apps"`
	ByName map[string]inner `json:"by_name"`
	Plain  int
	Skip   int             `json:"-"`
	Raw    json.RawMessage `json:"raw"`
}

func TestKeys(t *testing.T) {
	for _, ok := range []string{
		`{"kind":"a","apps":[{"size_bytes":1}],"by_name":{"X":{"size_bytes":2}},"Plain":1,"raw":{"Any":1}}`,
		`{"unknown":{"Apps":1}}`,                     // unknown keys are the decoder's business
		`null`, `[1,2]`, `{"apps":null}`, `{"apps":`, // malformed: the decoder says so
	} {
		assert.NoError(t, strictjson.Keys([]byte(ok), &outer{}), ok)
	}
	for in, want := range map[string]string{
		`{"Kind":"a"}`: `field "Kind": JSON names are case-sensitive: want "kind"`,
		`{"APPS":[]}`:  `field "APPS"`,
		`{"apps":[{"size_bytes":1},{"Size_Bytes":2}]}`: `field "Size_Bytes" in apps[1]`,
		`{"by_name":{"x":{"SIZE_BYTES":1}}}`:           `in by_name.x`,
		`{"plain":1}`:                                  `want "Plain"`,
	} {
		err := strictjson.Keys([]byte(in), &outer{})
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}
