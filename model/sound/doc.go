// Package sound models the ALSA core (sound/core) for sound drivers: the card with its
// device list, open files and power state, controls, jacks and a minimal PCM.
//
//   - Card (snd_card_new, snd_card_register, snd_card_disconnect, snd_card_free,
//     snd_card_free_when_closed, snd_card_disconnect_sync): open files hold the card
//     (snd_card_file_add / snd_card_file_remove take and drop a card_dev reference); after
//     the disconnect every open file has the shutdown operations (an ioctl returns -ENODEV,
//     release still runs the device's release); the card is released at the last reference,
//     which snd_card_free waits for and snd_card_free_when_closed does not.
//   - Power: snd_power_ref_and_wait, snd_power_wait, snd_power_unref, snd_power_sync_ref,
//     snd_power_change_state; the disconnect wakes the waiters (-ENODEV) and drains the refs.
//   - Device (snd_device_new, snd_device_register, snd_device_disconnect, snd_device_free):
//     the list is sorted by DeviceType, so the low-level device is registered first and
//     disconnected and freed last, the control device the other way round.
//   - Kcontrol (snd_ctl_add; SNDRV_CTL_IOCTL_ELEM_READ/WRITE: get and put under
//     controls_rwsem with a power reference held); the control device frees them all.
//   - Jack (snd_jack_new, snd_jack_report): a DevJack device with an optional control.
//   - PCM (snd_pcm_new, open, ioctl, release): open and release take and drop the card file;
//     ioctl and release do the power step (snd_power_wait, or with PCM.HoldPowerRef the
//     reference held across the operation).
//
// Oracles. The card, every device and every control embed a model/kasan Obj, checked on
// every entry point: a use after free is oracle.UseAfterFree with KASAN's report. That covers
//
//   - a card, device or control used after snd_card_free (Card.Use, Device.Use, Kcontrol.Use,
//     Kcontrol.Notify from driver code);
//   - a teardown order violation: a device's callbacks KASAN-check the devices it depends on
//     (DeviceNew's deps) before they run, so a device freed before one that depends on it
//     (snd_device_free by hand, or a dependency on a device of a higher type, which the
//     reverse order frees first) is reported when the dependent one is disconnected or freed;
//   - a control put on a freed card (a control file whose card was freed under it); a put
//     after the disconnect, before the free, returns -ENODEV and touches nothing;
//   - a jack report after the jack was freed (an interrupt or work item left running);
//   - a card freed while files are open without waiting (Card.FreeNoWait, what
//     snd_card_free_when_closed exists for): the open file's next call or release uses it.
//
// snd_card_free in a remove path while an app never closes its file blocks for good: the
// engine's deadlock (or hang) check reports the remove; snd_card_free_when_closed does not
// wait.
//
// Kernel sources read (Linux ~v6.16, via the search tool): sound/core/init.c
// (snd_card_new, snd_card_disconnect, snd_card_disconnect_sync, snd_card_free,
// snd_card_free_when_closed, snd_card_do_free, snd_card_file_add, snd_card_file_remove,
// snd_disconnect_release, snd_power_ref_and_wait, snd_power_wait, snd_power_sync_ref);
// include/sound/core.h (enum snd_device_type, snd_power_ref/unref, snd_power_change_state);
// sound/core/device.c (snd_device_new's sorted insert, __snd_device_register / _disconnect /
// _free, snd_device_disconnect_all and snd_device_free_all in reverse); sound/core/control.c
// (snd_ctl_add, snd_ctl_elem_write_user / snd_ctl_elem_write under down_write,
// snd_ctl_elem_read_user under down_read, snd_ctl_dev_disconnect, snd_ctl_dev_free);
// sound/core/jack.c (snd_jack_new, snd_jack_report, snd_jack_dev_disconnect,
// snd_jack_dev_free, snd_jack_kctl_private_free); sound/core/pcm_native.c (snd_pcm_open,
// snd_pcm_common_ioctl and snd_pcm_release with snd_power_wait).
//
// Simplified, one line each:
//
//   - a control has one integer value and is found by name; no info callback, TLV, locks
//     of elements, or events queued to readers (Notifications counts them);
//   - a PCM has one playback substream and one Ioctl callback for every PCM ioctl; no
//     runtime, buffer or state machine (model/drivers/hda keeps its own);
//   - the jack's input device is a flag and a counter; no input core;
//   - files_lock, shutdown_lock and snd_card_mutex are not modelled: list updates are one
//     step of the running process, which the engine never interleaves;
//   - Free called twice before the release does nothing (mainline checks card->releasing
//     only), so a devres free after a manual one needs no care;
//   - no info/proc entries, card numbers, sync_irq or OSS layers.
package sound
