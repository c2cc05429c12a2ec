package pci

import (
	"errors"

	"hotplugsim/des"
)

// Config-space registers the model has (include/uapi/linux/pci_regs.h); every other offset
// reads 0 and ignores writes.
const (
	ConfigVendorID = 0x00 // PCI_VENDOR_ID
	ConfigCommand  = 0x04 // PCI_COMMAND
	CommandMemory  = 0x2  // PCI_COMMAND_MEMORY: the device decodes its memory BARs
	// VendorID is what PCI_VENDOR_ID reads on every modelled device.
	VendorID = 0x1b36
	// ErrorResponse is what a config read of a device that is gone returns
	// (PCI_ERROR_RESPONSE, all ones).
	ErrorResponse = 0xffff
)

// ErrDisconnected is PCIBIOS_DEVICE_NOT_FOUND: config access to a disconnected device
// (pci_dev_is_disconnected) is refused without touching the link.
var ErrDisconnected = errors.New("pci: device disconnected (PCIBIOS_DEVICE_NOT_FOUND)")

var (
	evCfgRead  = des.L("pci_read_config_word")
	evCfgWrite = des.L("pci_write_config_word")
)

// ReadConfig16 is pci_read_config_word: a scheduling point. A disconnected device reads
// all ones and fails with ErrDisconnected (pci_read_config_word checks
// pci_dev_is_disconnected first); a device that is gone or frozen but not yet marked
// disconnected reads all ones without an error, as the completion times out.
func (d *Dev) ReadConfig16(p *des.Proc, where int) (uint16, error) {
	d.host.point(p, evCfgRead, d.label, int64(where), 0)
	switch {
	case d.IsDisconnected():
		return ErrorResponse, ErrDisconnected
	case !d.hw.Present() || d.hw.Frozen():
		return ErrorResponse, nil
	}
	switch where {
	case ConfigVendorID:
		return VendorID, nil
	case ConfigCommand:
		if d.memOff {
			return 0, nil
		}
		return CommandMemory, nil
	}
	return 0, nil
}

// WriteConfig16 is pci_write_config_word; only PCI_COMMAND's memory bit is kept. A write to
// a disconnected device fails with ErrDisconnected; one to a device that is gone or frozen
// is dropped.
func (d *Dev) WriteConfig16(p *des.Proc, where int, v uint16) error {
	d.host.point(p, evCfgWrite, d.label, int64(where), int64(v))
	switch {
	case d.IsDisconnected():
		return ErrDisconnected
	case !d.hw.Present() || d.hw.Frozen():
		return nil
	}
	if where == ConfigCommand {
		d.memOff = v&CommandMemory == 0
	}
	return nil
}

// MemoryDecoding reports PCI_COMMAND_MEMORY without a config read: on from enumeration
// (firmware and pci_enable_device set it) until a driver clears it.
func (d *Dev) MemoryDecoding() bool { return !d.memOff }
