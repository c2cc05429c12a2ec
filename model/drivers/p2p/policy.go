package p2p

import "hotplugsim/model/drivers/policy"

// Policy names.
const (
	ReplaceExclusive = "replace-exclusive"
	FenceArray       = "fence-array"
)

// Policy is one design of DMA_BUF_IOCTL_IMPORT_SYNC_FILE's write fence: its name, a one-line
// doc and its switch.
type Policy struct {
	Name string
	Doc  string // one line
	// FenceArray: the new exclusive fence is a fence array over the imported fence and every
	// fence already in the resv (else the imported fence replaces them all).
	FenceArray bool
}

// Decl returns the policy's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policies lists every policy, the buggy one first.
var Policies = []Policy{
	{Name: ReplaceExclusive,
		Doc: "an imported write fence replaces the exclusive fence and drops the readers' fences; eviction and free wait only for it"},
	{Name: FenceArray, FenceArray: true,
		Doc: "the new exclusive fence is a fence array over the imported fence and every fence already in the resv"},
}

// ParsePolicy returns the policy named name.
func ParsePolicy(name string) (Policy, error) { return policy.Parse("p2p", Policies, name) }
