// Package model holds the Linux kernel objects hotplugsim simulates, one small package per
// kernel concept (lock, mem, mm, fence, irq, workqueue, timer, pci, iommu, drm, ttm, sched),
// and under drivers/ the protocol models of the seed systems. Each object behaves as its
// kernel source does and reports its own misuse as a des violation. See ../shared/DESIGN.md.
package model
