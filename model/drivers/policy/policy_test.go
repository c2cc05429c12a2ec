package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/model/drivers/policy"
)

type pol struct {
	Name, Doc string
	Fast      bool
}

func (p pol) Decl() policy.Decl { return policy.Decl{Name: p.Name, Doc: p.Doc} }

func TestParse(t *testing.T) {
	table := []pol{{Name: "slow", Doc: "s"}, {Name: "fast", Doc: "f", Fast: true}}
	p, err := policy.Parse("drv", table, "fast")
	require.NoError(t, err)
	assert.True(t, p.Fast)
	_, err = policy.Parse("drv", table, "none")
	assert.EqualError(t, err, `drv: no policy "none" (have slow, fast)`)
	assert.Equal(t, []string{"slow", "fast"}, policy.Names(table))
	assert.Equal(t, []policy.Decl{{Name: "slow", Doc: "s"}, {Name: "fast", Doc: "f"}}, policy.Decls(table))
}
