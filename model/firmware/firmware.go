package firmware

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

// Errors a load returns.
var (
	ErrNoEnt = errors.New("-ENOENT") // the file is missing (or a fault site failed the load)
	ErrInval = errors.New("-EINVAL") // an empty name
)

// Fault sites (des.Sim.Fault), one per kernel entry point.
const (
	SiteRequest       = "request_firmware"
	SiteRequestNowarn = "firmware_request_nowarn"
	SiteRequestNowait = "request_firmware_nowait"
)

// Bounds.
const (
	MaxFiles    = 256       // files a simulation configures
	DefaultSize = 256 << 10 // bytes of a file the simulation did not configure
)

// File is one file under /lib/firmware as a simulation sees it.
type File struct {
	Name    string
	Size    int          // bytes (0: DefaultSize)
	Missing bool         // the load fails with ErrNoEnt
	Latency des.Duration // how long the filesystem read sleeps
}

// fs is the per-simulation view of /lib/firmware: the configured files in the order added.
type fs struct{ files []File }

var (
	fsKey = des.NewSimKey[fs]()
	fses  = des.NewSlabKey[fs]()
)

// Recycle keeps the file list's capacity (des.Recycler).
func (s *fs) Recycle() { clear(s.files[:cap(s.files)]); s.files = s.files[:0] }

func fsOf(sim *des.Sim) *fs { return fsKey.Get(sim, func(sim *des.Sim) *fs { return fses.New(sim) }) }

// AddFile configures a file for sim's loads (replacing an earlier one of the same name).
// A name never configured is found, with DefaultSize and no latency.
func AddFile(sim *des.Sim, f File) {
	if f.Name == "" {
		panic("firmware: AddFile needs a name")
	}
	if f.Size == 0 {
		f.Size = DefaultSize
	}
	s := fsOf(sim)
	if i := s.find(f.Name); i >= 0 {
		s.files[i] = f
		return
	}
	if len(s.files) >= MaxFiles {
		panic("firmware: more than MaxFiles files")
	}
	s.files = append(s.files, f)
}

// RemoveFile makes name missing in sim: every load of it fails with ErrNoEnt.
func RemoveFile(sim *des.Sim, name string) { AddFile(sim, File{Name: name, Missing: true}) }

func (s *fs) find(name string) int {
	for i := range s.files {
		if s.files[i].Name == name {
			return i
		}
	}
	return -1
}

func (s *fs) lookup(name string) File {
	if i := s.find(name); i >= 0 {
		return s.files[i]
	}
	return File{Name: name, Size: DefaultSize}
}

// Firmware is struct firmware: the loaded image, freed by ReleaseFirmware.
type Firmware struct {
	kasan.Obj
	size int
}

var firmwares = des.NewSlabKey[Firmware]()

// Recycle resets a reused Firmware (des.Recycler).
func (fw *Firmware) Recycle() { *fw = Firmware{} }

// Size is fw->size; it reads the object.
func (fw *Firmware) Size(p *des.Proc) int {
	if !fw.Use(p, "firmware->size") {
		return 0
	}
	return fw.size
}

// Read is an access to fw->data by the function what (a copy into a BO, a DSP patch).
// It reports false, after KASAN's report, when fw was released.
func (fw *Firmware) Read(p *des.Proc, what string) bool {
	p.Point(evRead, fw.Label(), int64(fw.size), 0)
	return fw.Access(p, kasan.Access{Func: what, Size: 8})
}

var (
	evRequest = des.L(SiteRequest)
	evNowarn  = des.L(SiteRequestNowarn)
	evWorkFn  = des.L("request_firmware_work_func")
	evRelease = des.L("release_firmware")
	evRead    = des.L("firmware_read")
	evNowait  = des.L("request_firmware_nowait")
	evCont    = des.L("request_firmware_cont")
)

// Allocation and free call chains, innermost first (kasan.Obj.AllocIn, FreeIn).
var (
	chainRequest = []string{"_request_firmware", "request_firmware"}
	chainNowarn  = []string{"_request_firmware", "firmware_request_nowarn"}
	chainNowait  = []string{"_request_firmware", "request_firmware_work_func"}
	chainRelease = []string{"release_firmware"}
)

// entry is the traced kind and the allocation chain of a load from site.
func entry(site string) (des.Label, []string) {
	switch site {
	case SiteRequestNowarn:
		return evNowarn, chainNowarn
	case SiteRequestNowait:
		return evWorkFn, chainNowait
	}
	return evRequest, chainRequest
}

// RequestFirmware is request_firmware: it sleeps while the file is read and returns the
// image, or ErrNoEnt (the file is missing, or the SiteRequest fault site failed the load).
func RequestFirmware(p *des.Proc, name string) (*Firmware, error) {
	return request(p, name, SiteRequest)
}

// RequestNowarn is firmware_request_nowarn: request_firmware without the warning on a
// missing file, and its own fault site, SiteRequestNowarn.
func RequestNowarn(p *des.Proc, name string) (*Firmware, error) {
	return request(p, name, SiteRequestNowarn)
}

// request is _request_firmware.
func request(p *des.Proc, name, site string) (*Firmware, error) {
	sim := p.Sim()
	obj := des.L(des.Join(sim, "firmware:", name))
	mightSleep(p, site, obj)
	if name == "" {
		return nil, ErrInval
	}
	f := fsOf(sim).lookup(name)
	ev, chain := entry(site)
	p.Point(ev, obj, int64(f.Size), 0)
	if f.Latency > 0 {
		p.Sleep(f.Latency)
	}
	if f.Missing || sim.Fault(p, site) {
		return nil, ErrNoEnt
	}
	fw := firmwares.New(sim)
	fw.size = f.Size
	fw.AllocIn(sim, p, obj.String(), chain...)
	return fw, nil
}

// mightSleep is might_sleep() on the load's filesystem read, reported as model/lock
// reports a sleeping lock in atomic context.
func mightSleep(p *des.Proc, what string, obj des.Label) {
	if !p.InAtomic() {
		return
	}
	p.Sim().Violate(p, oracle.LockOrder, obj, des.MightSleepSplat(p,
		"drivers/base/firmware_loader/main.c", what+" of "+obj.String(), lock.HeldLocks(p)))
}

// ReleaseFirmware is release_firmware: it frees fw (nil is a no-op). A second release is
// KASAN's double-free.
func ReleaseFirmware(p *des.Proc, fw *Firmware) {
	if fw == nil {
		return
	}
	p.Point(evRelease, fw.Label(), int64(fw.size), 0)
	fw.FreeIn(p, chainRelease...)
}
