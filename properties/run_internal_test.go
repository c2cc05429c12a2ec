package properties

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFuncPackage(t *testing.T) {
	assert.Equal(t, "hotplugsim/properties_test", funcPackage("hotplugsim/properties_test.TestX.func1"))
	assert.Equal(t, "gopkg.in/yaml.v3", funcPackage("gopkg.in/yaml%2ev3.(*T).m"))
	assert.Equal(t, "main", funcPackage("main.main"))
	assert.Equal(t, "", funcPackage("nodot"))
	assert.Equal(t, "hotplugsim/properties", selfPackage)
}
