package workloads_test

import (
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
)

type measure struct{ size, atNs, boBytes, intervalNs, relative int64 }

func measureOf(s workloads.Spec) measure {
	m := measure{size: int64(s.Size().Total())}
	for _, a := range s.Apps {
		m.intervalNs += a.IntervalNs
		for _, bo := range a.BOs {
			m.boBytes += bo.SizeBytes
		}
	}
	for _, e := range s.Events {
		m.atNs += e.AtNs
		if e.After != nil {
			m.relative++
		}
	}
	return m
}

// smaller: no part grew, one part shrank.
func (m measure) smaller(o measure) bool {
	le := m.size <= o.size && m.atNs <= o.atNs && m.boBytes <= o.boBytes && m.intervalNs <= o.intervalNs && m.relative <= o.relative
	return le && m != o
}

func TestGenSpecProperties(t *testing.T) {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	params := gopter.DefaultTestParametersWithSeed(7)
	params.MinSuccessfulTests = 300
	p := prop.ForAll(func(s workloads.Spec) string {
		if err := sc.CheckSpec(s); err != nil {
			return "generated an invalid spec: " + err.Error()
		}
		again, err := workloads.DecodeSpec(strings.NewReader(string(s.JSON())))
		if err != nil || !again.Equal(s) {
			return "JSON round trip failed"
		}
		next := workloads.ShrinkSpec(s)
		n := 0
		for v, ok := next(); ok; v, ok = next() {
			c := v.(workloads.Spec)
			n++
			if err := c.Validate(); err != nil {
				return "shrink candidate invalid: " + err.Error()
			}
			if !measureOf(c).smaller(measureOf(s)) {
				return "shrink candidate not smaller: " + string(c.JSON())
			}
			if n > 10000 {
				return "shrink stream does not end"
			}
		}
		return ""
	}, workloads.GenSpec(sc))
	res := p.Check(params)
	assert.True(t, res.Passed(), "%v %v", res.Status, res.Args)
}

func TestGenSpecDeterministic(t *testing.T) {
	sc, _ := workloads.Lookup("engine-demo")
	gen := workloads.GenSpec(sc)
	a := gen(gopter.DefaultGenParameters().CloneWithSeed(42)).Result.(workloads.Spec)
	b := gen(gopter.DefaultGenParameters().CloneWithSeed(42)).Result.(workloads.Spec)
	assert.True(t, a.Equal(b))
}

func TestShrinkKeepsRelativeEventsValid(t *testing.T) {
	s, err := workloads.DecodeSpec(strings.NewReader(goodSpec))
	require.NoError(t, err)
	next := workloads.ShrinkSpec(s)
	var sawDropApp0, sawOpsCut bool
	for v, ok := next(); ok; v, ok = next() {
		c := v.(workloads.Spec)
		require.NoError(t, c.Validate())
		if len(c.Apps) == 1 && c.Apps[0].Kind == "dma-buf-share" {
			sawDropApp0 = true
			assert.Equal(t, 0, c.Events[1].After.App, "index moves down with the app")
		}
		if len(c.Apps) == 2 && c.Apps[1].Ops == 0 {
			sawOpsCut = true
			assert.Nil(t, c.Events[1].After, "an event relative to a vanished op becomes absolute")
		}
	}
	assert.True(t, sawDropApp0)
	assert.True(t, sawOpsCut)
}
