// Package all registers every scenario this module ships. Import it for its side effect:
//
//	import _ "hotplugsim/workloads/all"
//
// desrun and the property tests do; a user's own desrun can import it next to their own
// scenario package.
package all

import (
	_ "hotplugsim/workloads/amdgpuunplug"   // amdgpu-unplug: amdgpu hot-unplug v6, the default scenario (amdgpu hot-unplug v6 thread)
	_ "hotplugsim/workloads/enginedemo"     // engine-demo: the bare-engine race
	_ "hotplugsim/workloads/hdabarmove"     // hda-bar-move: snd_hda_intel under a BAR move (snd_hda_intel BAR move thread)
	_ "hotplugsim/workloads/hdapatchunbind" // hda-patch-unbind: snd_hda_intel removed while its patch= file loads
	_ "hotplugsim/workloads/igt"            // igt-<subtest>: IGT core_hotunplug on amdgpu and xe
	_ "hotplugsim/workloads/newdriver"      // newdriver-close: the docs/new-driver.md example
	_ "hotplugsim/workloads/p2pevict"       // p2p-evict: dma-buf P2P and dma_resv fences (dma-buf fence replacement thread)
	_ "hotplugsim/workloads/pcibarmove"     // pci-bar-move: movable BARs (PCI movable BARs thread)
	_ "hotplugsim/workloads/sbrpciehp"      // sbr-pciehp: a driver's Secondary Bus Reset racing pciehp
	_ "hotplugsim/workloads/xeunplug"       // xe-unplug: Intel xe hot-unplug (xe hot-unplug thread)
)
