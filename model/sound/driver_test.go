package sound_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/sound"
)

const (
	regVolume   = 0x10
	volumeLatch = 1 << 31
)

// toySnd is the driver of docs/new-driver.md's "A sound driver": a card with a headphone
// jack and a volume control whose put writes a register. The registers are unmapped by the
// chip's low-level device at the card's release, after the last close.
type toySnd struct {
	card *sound.Card
	regs *mem.IOMem
	jack *sound.Jack
}

func (s *toySnd) Name() string { return "snd_toy" }

func (s *toySnd) Probe(p *des.Proc, d *pci.Dev) error {
	card, err := sound.NewCard(d.Host().Sim(), p, "card0")
	if err != nil {
		return err
	}
	s.card, s.regs = card, d.Iomap(p, 0)
	chip, err := card.DeviceNew(p, sound.DevLowLevel, "toy-chip", sound.DeviceOps{
		Free: func(p *des.Proc, _ *sound.Device) error { s.regs.Iounmap(p); return nil }})
	if err != nil {
		return err
	}
	if s.jack, err = card.JackNew(p, "Headphone", true, chip); err != nil {
		return err
	}
	_, err = card.CtlAdd(p, sound.KcontrolNew{Name: "Master Playback Volume",
		Put: func(p *des.Proc, k *sound.Kcontrol, v int64) (int, error) {
			s.regs.Write32(p, regVolume, uint32(v))
			p.Sleep(20 * des.Microsecond) // the codec's amp settles
			s.regs.Write32(p, regVolume, uint32(v)|volumeLatch)
			return 1, nil
		}}, s)
	if err != nil {
		return err
	}
	return card.Register(p)
}

func (s *toySnd) Remove(p *des.Proc, d *pci.Dev) {
	s.card.FreeWhenClosed(p) // disconnect now, release at the mixer's close
}

// toySndUnmapInRemove unmaps the registers in remove (the bug).
type toySndUnmapInRemove struct{ toySnd }

func (s *toySndUnmapInRemove) Remove(p *des.Proc, d *pci.Dev) {
	s.regs.Iounmap(p)
	s.card.FreeWhenClosed(p)
}

// bootHost is a booted PCI host with one device, driven by drv, whose BAR 0 is the
// registers.
func bootHost(t *testing.T, drv pci.Driver) (*des.Sim, *pci.Host, *pci.Dev) {
	t.Helper()
	sim := des.MustNew(des.Config{})
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 28})
	require.NoError(t, err)
	dev, err := host.AddDevice(host.Root(), "0000:00:1f.3", drv, pci.BARSpec{Index: 0, Size: 16 << 10})
	require.NoError(t, err)
	require.NoError(t, host.Boot())
	return sim, host, dev
}

// A mixer keeps the control device open across the driver's removal. Its write before the
// remove reaches the register, the one after fails with -ENODEV, and its close releases the
// card, whose low-level device unmaps the registers. Unmapping them in remove instead leaves
// a write in flight touching unmapped MMIO.
func TestSoundDriverRemovedWhileOpen(t *testing.T) {
	for _, buggy := range []bool{false, true} {
		drv := &toySnd{}
		var pdrv pci.Driver = drv
		if buggy {
			bad := &toySndUnmapInRemove{}
			drv, pdrv = &bad.toySnd, bad
		}
		sim, host, dev := bootHost(t, pdrv)
		var errs []error
		sim.Spawn("udev", des.Task, func(p *des.Proc) {
			require.NoError(t, host.ProbeAll(p))
			p.Sleep(80 * des.Microsecond) // the mixer's second write is in its put
			host.Remove(p, dev)
		})
		sim.Spawn("mixer", des.Task, func(p *des.Proc) {
			p.Sleep(10 * des.Microsecond)
			f, err := drv.card.OpenControl(p)
			require.NoError(t, err)
			for range 3 {
				errs = append(errs, f.ElemWrite(p, "Master Playback Volume", 40))
				p.Sleep(45 * des.Microsecond)
			}
			f.Release(p)
		})
		res := sim.Run()
		if buggy {
			require.NotNil(t, res.First())
			assert.Equal(t, oracle.UseAfterUnmap, res.First().Kind)
			continue
		}
		require.True(t, res.OK(), res.Violations)
		assert.True(t, drv.card.Freed())
		assert.Equal(t, []error{nil, nil, sound.ErrNoDevice}, errs)
	}
}

// docs/new-driver.md shows toySnd's Probe and Remove as they are here.
func TestGuideShowsToySnd(t *testing.T) {
	doc, err := os.ReadFile("../../docs/new-driver.md")
	require.NoError(t, err)
	src, err := os.ReadFile("driver_test.go")
	require.NoError(t, err)
	a := strings.Index(string(src), "func (s *toySnd) Probe")
	b := strings.Index(string(src), "// toySndUnmapInRemove")
	require.True(t, a >= 0 && b > a)
	assert.Contains(t, string(doc), "```go\n"+string(src[a:b-1])+"```\n")
}
