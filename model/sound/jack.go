package sound

import "hotplugsim/des"

var evJack = des.L("snd_jack_report")

// Jack is struct snd_jack: a snd_device of type DevJack with an input device and, if made
// with a control, one "<id> Jack" boolean control that reports follow.
type Jack struct {
	dev    *Device
	id     string
	kctl   *Kcontrol // the jack_kctl list's one entry; nil once the control is freed
	input  bool      // jack->input_dev is set (registered after dev_register)
	status int       // jack->hw_status_cache
	events int       // input events reported
}

// JackNew is snd_jack_new: a jack device on the card and, with initialKctl, its control
// (snd_kctl_jack_new, whose private_free unlinks it from the jack). deps are what the jack
// depends on (its codec), as for DeviceNew.
func (c *Card) JackNew(p *des.Proc, id string, initialKctl bool, deps ...*Device) (*Jack, error) {
	j := &Jack{id: id, input: true}
	d, err := c.DeviceNew(p, DevJack, "jack:"+id, DeviceOps{
		Disconnect: j.devDisconnect, Free: j.devFree}, deps...)
	if err != nil {
		return nil, err
	}
	j.dev, d.Data = d, j
	if !initialKctl {
		return j, nil
	}
	k, err := c.CtlAdd(p, KcontrolNew{Name: id + " Jack",
		Get:         func(p *des.Proc, k *Kcontrol) (int64, error) { return int64(j.status & 1), nil },
		PrivateFree: func(p *des.Proc, k *Kcontrol) { j.kctl = nil }}, j)
	if err != nil {
		c.DeviceFree(p, d)
		return nil, err
	}
	j.kctl = k
	return j, nil
}

// Device is the jack's snd_device.
func (j *Jack) Device() *Device { return j.dev }

// Control is the jack's control (nil if made without one, or once it is freed).
func (j *Jack) Control() *Kcontrol { return j.kctl }

// Status is the last reported status (jack->hw_status_cache).
func (j *Jack) Status() int { return j.status }

// InputEvents counts the reports that reached the input device.
func (j *Jack) InputEvents() int { return j.events }

// Report is snd_jack_report: cache the status, update and notify the jack's control, and
// send an input event while the input device exists. A report on a freed jack (an
// interrupt or work item still running after snd_card_free) is a use-after-free.
func (j *Jack) Report(p *des.Proc, status int) {
	p.Point(evJack, j.dev.obj.Label(), int64(status), 0)
	if !j.dev.obj.Use(p, "snd_jack_report") {
		return
	}
	j.status = status
	if j.kctl != nil {
		j.kctl.Notify(p) // snd_kctl_jack_report
	}
	if j.input {
		j.events++ // input_report_switch, input_sync
	}
}

// devDisconnect is snd_jack_dev_disconnect: the input device is unregistered.
func (j *Jack) devDisconnect(p *des.Proc, d *Device) error {
	j.input = false
	return nil
}

// devFree is snd_jack_dev_free: private_free, then disconnect (the memory goes with the
// device).
func (j *Jack) devFree(p *des.Proc, d *Device) error { return j.devDisconnect(p, d) }
