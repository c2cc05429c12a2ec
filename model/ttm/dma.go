package ttm

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/iommu"
	"hotplugsim/model/mm"
	"hotplugsim/model/pci"
)

// ErrNoMem is -ENOMEM (a DMA mapping failed).
var ErrNoMem = errors.New("-ENOMEM")

// iommuMapper maps TT pages for one PCI device through model/iommu.
type iommuMapper struct{ dev *pci.Dev }

// IOMMUMapper is the DMA API of pdev (dma_map_page through its IOMMU group, or
// dma-direct without one). Unmapping after PCI remove released the group is a
// use-after-free of the group (xe hot-unplug thread).
func IOMMUMapper(pdev *pci.Dev) DMAMapper { return iommuMapper{dev: pdev} }

func (m iommuMapper) MapPage(p *des.Proc, page *mm.Page) (DMAMapping, error) {
	mp := iommu.DMAMap(p, m.dev, mm.PageSize, page.Name())
	if mp == nil {
		return nil, ErrNoMem
	}
	return mp, nil
}
