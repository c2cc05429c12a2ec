package hda

import "hotplugsim/model/pci"

// The PCI layout the hda-bar-move scenario (workloads/hdabarmove) and this package's tests
// put a controller in: a host bridge aperture holding the GPU function whose on-GPU HD-audio
// function the controller is (the seed thread's Azalia), and the controller.
const (
	// HostBase and HostSize are the host bridge aperture.
	HostBase = 0xc000_0000
	HostSize = 1 << 30
	// GPUBARSize is the size of BAR 0 of the GPU function. The function is left unbound;
	// its BAR makes the layout, and so the move, interesting.
	GPUBARSize = 16 << 20
	// BARSize is the size of the controller's BAR 0, the register file.
	BARSize = 16 << 10
)

// BAR returns the controller's BAR 0 (the register file) as pci.Host.AddDevice takes it.
func BAR() pci.BARSpec { return pci.BARSpec{Index: 0, Size: BARSize} }

// GPUBAR returns BAR 0 of the GPU function as pci.Host.AddDevice takes it.
func GPUBAR() pci.BARSpec { return pci.BARSpec{Index: 0, Size: GPUBARSize} }
