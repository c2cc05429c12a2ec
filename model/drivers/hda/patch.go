package hda

import (
	"hotplugsim/des"
	"hotplugsim/model/firmware"
	"hotplugsim/model/irq"
	"hotplugsim/model/pci"
	"hotplugsim/model/workqueue"
)

// Call chains of the card's KASAN object, innermost first (kasan.Obj.AllocIn, FreeIn).
var (
	chainCardNew  = []string{"snd_card_new", "azx_probe"}
	chainCardFree = []string{"snd_card_free", "azx_remove"}
)

var (
	evFWPending  = des.L("azx_remove: patch load pending")
	evCodecProbe = des.L("hda_codec_driver_probe")
)

// probePatched is azx_probe with patch= set (CONFIG_SND_HDA_PATCH_LOADER): snd_card_new
// (the card, a KASAN object here), azx_create, request_firmware_nowait of the patch with the
// card as context, and return: azx_firmware_cb continues the probe. The driver core counts
// the chip bound from here on.
func (c *Chip) probePatched(p *des.Proc, d *pci.Dev) error {
	c.dev = d
	c.card.AllocIn(c.sim, p, "snd_card:"+c.cfg.Name, chainCardNew...)
	c.bound = true
	if err := firmware.RequestNowait(p, c.cfg.Patch, d, c.firmwareCb); err != nil {
		c.bound = false
		c.card.FreeIn(p, chainCardFree...) // out_free: snd_card_free
		return err
	}
	return nil
}

// firmwareCb is azx_firmware_cb, run by request_firmware_work_func on the system workqueue:
// it reads card->private_data (the chip), keeps the patch in chip->fw (nil: continue without
// patching) and runs azx_probe_continue. Under wait-fw-cb it completes fw_done as it returns.
func (c *Chip) firmwareCb(p *des.Proc, fw *firmware.Firmware) {
	c.fwCb = p
	defer func() { c.fwCb = nil }()
	if c.patchPol.WaitFW {
		defer c.fwDone.CompleteAll()
	}
	if !c.card.Use(p, "azx_firmware_cb") { // card->private_data of a freed card
		firmware.ReleaseFirmware(p, fw)
		return
	}
	c.fw = fw
	c.probeContinue(p)
}

// probeContinue is azx_probe_continue: azx_first_init (firstInit), snd_hda_load_patch (a
// read of the patch), snd_card_register, chip->running, complete_all(&hda->probe_wait). A
// failed first init frees the card (out_free: pci_set_drvdata(pci, NULL), snd_card_free)
// and leaves the driver bound, as mainline does.
func (c *Chip) probeContinue(p *des.Proc) {
	defer c.probed.CompleteAll()
	if err := c.firstInit(p, c.dev); err != nil {
		c.freeCard(p)
		return
	}
	c.probeCodecs(p)
	if c.fw != nil {
		c.fw.Read(p, "snd_hda_load_patch")
	}
	if !c.card.Use(p, "snd_card_register") {
		return
	}
	c.running = true
	c.card.register()
}

// removePatched is azx_remove of a chip probed with a patch: under wait-fw-cb, wait for the
// firmware callback first; then (pci_get_drvdata still set) snd_card_free. Mainline's
// cancel_delayed_work_sync(&hda->probe_work) has nothing to cancel: with a patch the probe
// continues in the firmware callback, not in probe_work. WaitProbed's waiters are released
// at the end: no card will appear.
func (c *Chip) removePatched(p *des.Proc) {
	if !c.fwDone.Done() {
		p.Trace(evFWPending, c.lbl, 0, 0)
	}
	if c.patchPol.WaitFW {
		c.waitFirmwareCb(p)
	}
	c.bound = false
	defer c.probed.CompleteAll()
	if c.card.Live() {
		c.freeCard(p)
	}
}

// waitFirmwareCb waits for azx_firmware_cb to return, with the device_lock dropped around
// the wait under UnlockForWait (the driver core holds it across remove).
func (c *Chip) waitFirmwareCb(p *des.Proc) {
	if c.patchPol.UnlockForWait {
		c.dev.DeviceUnlock(p)
		defer c.dev.DeviceLock(p)
	}
	c.fwDone.Wait(p)
}

// probeCodecs is azx_probe_codecs's part the race needs: snd_hda_codec_new adds each codec
// device, whose driver probe (driver_probe_device on the hda bus, need_parent_lock) takes
// the controller's device_lock.
func (c *Chip) probeCodecs(p *des.Proc) {
	c.dev.DeviceLock(p)
	p.Point(evCodecProbe, c.lbl, 0, 0)
	c.dev.DeviceUnlock(p)
}

// freeCard is snd_card_free: snd_card_disconnect, the wait for the last close, then the
// card's private_free (azx_free: stop the chip, free the interrupt, cancel the unsolicited
// work, iounmap, release_firmware(chip->fw), for what probe set up) and kfree(card).
func (c *Chip) freeCard(p *des.Proc) {
	c.card.disconnect()
	c.card.waitAllClosed(p)
	if c.running {
		c.stopChip(p)
		irq.FreeIRQ(p, c.line)
		workqueue.CancelWorkSync(p, c.bus.unsolWork)
		c.regs.Iounmap(p)
		c.running = false
	}
	firmware.ReleaseFirmware(p, c.fw)
	c.fw = nil
	c.card.FreeIn(p, chainCardFree...)
}
