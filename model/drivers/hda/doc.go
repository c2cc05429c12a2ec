// Package hda models snd_hda_intel under a PCI BAR move (the mail thread
// "Adding movable PCIe BARs support in snd_hda_intel"): an HD-audio controller whose BAR 0 holds the CORB/RIRB and stream
// registers, a codec behind it, PCM playback streams whose period interrupts fire while a
// player has the (system memory) PCM buffer mmapped, control ioctls that send verbs, and
// unsolicited events that the interrupt handler queues for a work item which talks to the
// codec over CORB/RIRB. A PCI rescan moves the BAR between RescanPrepare and RescanDone;
// what the driver does there is the policy:
//
//   - stop-chip (buggy): prepare stops the chip (interrupt enables off, CORB/RIRB DMA off,
//     disable_irq) and iounmaps. The unsolicited-event work item (and any ioctl) still
//     touches the registers: use-after-unmap.
//   - ioctl-rwsem (buggy): stop-chip plus a rw_semaphore, read side in every PCM and control
//     ioctl and in release, write side from prepare to done. The work item takes no lock:
//     still use-after-unmap.
//   - wait-close (buggy): prepare refuses new opens (snd_hda_lock_devices) and waits until
//     every opened file is closed. An idle player never closes, so the move does not finish
//     within MoveBound: progress.
//   - quiesce (buggy): suspend-like. Prepare puts the card in D3hot so new operations wait
//     in snd_power_ref_and_wait, waits for the in-flight ones to drop their power references
//     (snd_power_sync_ref), suspends the running streams, stops the chip, disables and
//     synchronizes the interrupt, cancels the unsolicited work (cancel_work_sync; the work
//     only talks to the codec while it holds a power reference taken with a get-if-active),
//     then iounmaps. Done ioremaps the new BAR address, re-initializes the chip, enables the
//     interrupt, resumes the streams, returns to D0 (waking the blocked operations) and
//     requeues the work for events that arrived meanwhile. The power reference behaves as
//     ALSA's does today: a control ioctl holds it until it returns (control.c), but
//     snd_pcm_common_ioctl and snd_pcm_release only call snd_power_wait, which drops it
//     before the operation touches the hardware, so snd_power_sync_ref does not wait for a
//     PCM operation in flight: its codec verb runs after the iounmap -> use-after-unmap
//     (desrun run --scenario hda-bar-move --policy quiesce --seed 16 --strategy pct:3: the
//     short player's PCM operation sends a verb, CORBWP read, after rescan1's iounmap).
//   - quiesce-pcm-ref (fixed, the default): quiesce plus an ALSA core change: the PCM core
//     holds the power reference across every PCM ioctl and release (snd_power_ref_and_wait
//     before, snd_power_unref after, as control ioctls do), so snd_power_sync_ref drains PCM
//     operations too. Playback continues after the move.
//
// The patch loader (patch.go; Config.Patch, the patch= module parameter of
// CONFIG_SND_HDA_PATCH_LOADER) is a second, independent protocol: azx_probe asks for the
// patch with request_firmware_nowait (model/firmware) and returns, and the firmware callback
// azx_firmware_cb continues the probe (azx_probe_continue); the card is then a KASAN object
// that snd_card_free frees in azx_remove. What azx_remove does about a load still pending is
// the PatchPolicy:
//
//   - no-fw-wait (buggy): mainline. azx_remove cancels probe_work only (the probe continues
//     in the firmware work, not there) and frees the card; the callback reads the freed
//     card -> use-after-free (KASAN: slab-use-after-free in azx_firmware_cb);
//   - wait-fw-cb-locked (buggy): azx_remove waits for that callback under the device_lock the
//     driver core holds across remove; the callback's codec probe (azx_probe_codecs ->
//     snd_hda_codec_new -> the codec driver's probe, which takes the parent's device_lock:
//     the hda bus sets need_parent_lock) waits for that lock -> deadlock, the one the FIXME
//     in azx_remove describes for probe_work;
//   - wait-fw-cb (fixed, the default): azx_remove drops the device_lock, waits for a
//     completion the callback completes as it returns, retakes the lock (as it does around
//     cancel_delayed_work_sync), then frees the card.
//
// Without a Patch nothing of it runs and hda-bar-move's runs are unchanged. The scenario
// "hda-patch-unbind" (workloads/hdapatchunbind) drives it. Sources: sound/pci/hda/hda_intel.c
// (azx_probe with its request_firmware_nowait, azx_firmware_cb, azx_probe_continue,
// azx_first_init, azx_remove), drivers/base/firmware_loader/main.c
// (request_firmware_nowait's get_device, request_firmware_work_func), sound/core/init.c
// (snd_card_new, snd_card_free: snd_card_disconnect, the wait for the last close, the free).
// Simplified: azx_create's struct azx is the card's private data and is not a KASAN object
// of its own (the callback's first access is card->private_data); snd_card_free waits for the
// last close but snd_card_disconnect does not stop running streams (their release does).
//
// The scenario "hda-bar-move" (package hdabarmove, in workloads/hdabarmove) drives the model:
// the Spec, the apps and the platform's rescans. This package knows nothing of workloads.
//
// Every policy is checked by the same oracles: model/mem's use-after-unmap and stale-mmio on
// every register access, progress for a BAR move that waits past MoveBound and for a stream
// that was running across a move but got no period interrupt (or no position change) within
// StallPeriods periods after RescanDone, model/lock's lockdep, model/workqueue's work that
// never runs, and the engine's deadlock and hang checks.
//
// The driver's objects follow the kernel's structs, each with its methods in its own files:
//
//   - Chip (azx.go, with interrupt.go, rescan.go, gate.go and stream.go) is struct
//     azx (sound/pci/hda/hda_controller.h, hda_intel.c): BAR 0 and its mapping, the
//     interrupt, the stream descriptors, the chip state and the BAR-move policy;
//   - Bus (bus.go) is struct hdac_bus (include/sound/hdaudio.h, sound/hda/hdac_bus.c,
//     hdac_controller.c): reg_lock, cmd_mutex, CORB/RIRB command send and response, the
//     unsolicited-event ring and its work; it reaches the registers through its Chip;
//   - card (card.go) is the part of struct snd_card the race needs: open files,
//     card->shutdown, the power state and references. It is not model/sound's Card: that one
//     allocates a KASAN object and puts its scheduling points elsewhere (snd_card_file_add,
//     the power state as an argument), which would change every trace of hda-bar-move, and
//     its shutdown is one-way where snd_hda_lock_devices sets and clears it;
//   - substream and File (pcm.go) are the PCM substream with its runtime, and an open file
//     (Chip's OpenPCM and OpenControl make one); hardware (hw.go) is the device side.
//
// Trace spans (des.Span, kinds "<name>:begin"/"<name>:end", same object): "ioctl" around
// every ioctl and release (object: the ioctl name), "period" around every period interrupt's
// processing (object: the stream), "unsol" around the work item's processing of one event
// (object: the work), and "barmove" from RescanPrepare to the end of RescanDone (object: the
// device name; a is the BAR's physical address before the move on begin, after it on end).
// "pcm-pos" (a = hw_ptr in bytes) is emitted whenever a player reads its position.
//
// Kernel sources read (Linux ~v6.16, via the search tool and the seed thread):
//
//   - sound/hda/hdac_controller.c: snd_hdac_bus_send_cmd (CORBWP read, full check,
//     rirb.cmds[addr]++, CORBWP write under reg_lock), snd_hdac_bus_update_rirb (RIRBWP
//     read, unsolicited entries to snd_hdac_bus_queue_event, responses to rirb.res),
//     snd_hdac_bus_stop_chip / snd_hdac_bus_init_chip, snd_hdac_bus_handle_stream_irq
//     (SD_STS read and write-1-to-clear);
//   - sound/hda/hdac_bus.c: snd_hdac_bus_queue_event (unsol ring, schedule_work),
//     snd_hdac_bus_process_unsol_events (reg_lock dropped around the codec's unsol_event),
//     snd_hdac_bus_exec_verb (cmd_mutex around send and get_response);
//   - sound/pci/hda/hda_controller.c: azx_interrupt (INTSTS loop of at most 10 rounds,
//     RIRBSTS write-1-to-clear), azx_rirb_get_response (polling mode: update_rirb, udelay
//     between polls, timeout), azx_pcm_trigger (SD_CTL RUN|IOCE, INTCTL SIE bits),
//     azx_pcm_pointer (LPIB);
//   - sound/core/init.c: snd_power_ref_and_wait (ref, then wait_event_cmd dropping the ref
//     while the card is neither in D0 nor shut down; -ENODEV after shutdown), snd_power_wait
//     (ref_and_wait, then unref at once), snd_power_unref, snd_power_sync_ref,
//     snd_card_disconnect (card->shutdown, wake_up_all(&card->power_sleep));
//     sound/core/control.c: snd_ctl_elem_write_user under snd_power_ref_and_wait;
//     sound/core/pcm_lib.c: snd_pcm_period_elapsed (stream lock, pointer, hw_ptr update);
//   - sound/pci/hda/hda_codec.c: snd_hda_lock_devices (card->shutdown makes new opens
//     fail), the hdmi/jack unsol_event handlers (pin sense, ELD reads: several verbs);
//   - sound/pci/hda/hda_intel.c: azx_suspend (snd_power_change_state D3hot, stop_chip, link
//     reset, free_irq), azx_irq_pending_work; sound/pci/hda/hda_bind.c: hda_codec_unsol_event;
//     sound/hda/hdac_stream.c: snd_hdac_stream_stop (SD_CTL and SD_STS cleared);
//     sound/core/pcm_native.c: snd_pcm_common_ioctl and snd_pcm_release (snd_power_wait),
//     snd_pcm_suspend_all, snd_pcm_mmap_data_fault (pages of the DMA buffer, no MMIO).
//
// Simplified, one line each:
//
//   - one codec at address 0; a verb's response is a fixed function of the verb; the
//     driver runs CORB/RIRB in polling mode (azx's polling_mode), so responses never need
//     the interrupt, while the interrupt still delivers unsolicited events;
//   - the response timeout is CmdTimeout of virtual time instead of 1 s, and a timed-out
//     verb returns -EIO without the kernel's fallbacks (single_cmd mode, bus reset);
//   - init_chip after a move re-enables CORB/RIRB DMA and the interrupt enables but keeps the
//     ring pointers (the register file moves with the BAR), instead of resetting them;
//   - a player's PCM buffer is BufferPages pages of system memory it touches through its
//     mmap; its appl_ptr is not tracked (no xruns), only hw_ptr;
//   - the codec posts an unsolicited event (a jack or ELD notification) at a period boundary
//     with probability Config.UnsolPerPeriod, and only while a stream runs;
//   - the hardware sees driver register writes through a hook the driver's accessors call
//     (model/mem has no device-side write callback): write-1-to-clear status registers,
//     the CORB doorbell, stream RUN bits, and INTCTL delivering a pending status;
//   - the kernel drops unsolicited events while the codec is suspended (hda_bind.c) and does
//     not cancel bus->unsol_work at suspend; quiesce defers them and cancels the work instead;
//   - stop_chip leaves the streams' SD_CTL interrupt enables (azx_int_disable clears them) and
//     init_chip restores running streams' INTCTL bits (azx_int_enable does not), so stop-chip
//     and ioctl-rwsem get no extra playback stall on top of their use-after-unmap;
//   - position checks use LPIB only: no azx_position_check / irq_pending_work (hda_intel.c);
//   - streams suspended by quiesce are resumed by RescanDone itself (SNDRV_PCM_INFO_RESUME
//     with the app's snd_pcm_resume folded in).
package hda
