package sound_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/sound"
)

// A driver registers a card with a headphone jack and a volume control; a mixer app keeps
// the control device open while the driver is removed with snd_card_free_when_closed. The
// app's next write fails with -ENODEV without reaching the driver, and its close releases
// the card. A jack report from a work item left running after that is KASAN's
// use-after-free.
func Example() {
	sim := des.MustNew(des.Config{})
	var card *sound.Card
	var jack *sound.Jack
	probed := des.NewCompletion(sim, "probed")
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		card, _ = sound.NewCard(sim, p, "card0")
		chip, _ := card.DeviceNew(p, sound.DevLowLevel, "chip", sound.DeviceOps{})
		jack, _ = card.JackNew(p, "Headphone", true, chip)
		_, _ = card.CtlAdd(p, sound.KcontrolNew{Name: "Master",
			Put: func(p *des.Proc, k *sound.Kcontrol, v int64) (int, error) {
				fmt.Println("put", v, "at", p.Now())
				return 1, nil
			}}, nil)
		_ = card.Register(p)
		probed.CompleteAll()
		p.Sleep(100 * des.Microsecond)
		card.FreeWhenClosed(p) // remove
		fmt.Println("removed at", p.Now(), "card freed:", card.Freed())
	})
	sim.Spawn("mixer", des.Task, func(p *des.Proc) {
		probed.Wait(p)
		f, _ := card.OpenControl(p)
		_ = f.ElemWrite(p, "Master", 3)
		p.Sleep(200 * des.Microsecond)
		fmt.Println("write after remove:", f.ElemWrite(p, "Master", 4))
		f.Release(p)
		fmt.Println("closed at", p.Now(), "card freed:", card.Freed())
		jack.Report(p, 1)
	})
	res := sim.Run()
	v := res.First()
	fmt.Println(v.Kind, "in", v.Proc)
	// Output:
	// put 3 at @0ns
	// removed at @100us card freed: false
	// write after remove: -ENODEV
	// closed at @200us card freed: true
	// use-after-free in mixer
}
