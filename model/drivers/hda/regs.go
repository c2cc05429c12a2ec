package hda

// Controller register offsets in BAR 0 (HD-audio specification 1.0a, section 3.3;
// include/sound/hda_register.h). Each register is accessed with one width only.
const (
	regGCTL    = 0x08 // 32: global control
	regINTCTL  = 0x20 // 32: interrupt control
	regINTSTS  = 0x24 // 32: interrupt status (read only, computed by the hardware)
	regCORBWP  = 0x48 // 16: CORB write pointer
	regCORBRP  = 0x4a // 16: CORB read pointer
	regCORBCTL = 0x4c // 8: CORB control
	regRIRBWP  = 0x58 // 16: RIRB write pointer
	regRIRBCTL = 0x5c // 8: RIRB control
	regRIRBSTS = 0x5d // 8: RIRB status (write 1 to clear)

	regSDBase   = 0x80 // first stream descriptor
	regSDStride = 0x20
	sdCTL       = 0x00 // 32: stream control
	sdSTS       = 0x03 // 8: stream status (write 1 to clear)
	sdLPIB      = 0x04 // 32: link position in buffer
	sdCBL       = 0x08 // 32: cyclic buffer length
	sdLVI       = 0x0c // 16: last valid index
	sdFMT       = 0x12 // 16: format
	sdBDLPL     = 0x18 // 32: buffer descriptor list address
)

// Register bits.
const (
	gctlCRST    = 0x1     // controller out of reset
	intctlGIE   = 1 << 31 // global interrupt enable
	intctlCIE   = 1 << 30 // controller (RIRB) interrupt enable
	intstsGIS   = 1 << 31
	intstsCIS   = 1 << 30
	corbctlRUN  = 0x02
	rirbctlDMA  = 0x02
	rirbctlIRQ  = 0x01
	rirbstsINT  = 0x01 // RINTFL: response interrupt
	sdctlRUN    = 0x02
	sdctlIOCE   = 0x04 // interrupt on completion of a buffer descriptor (a period)
	sdstsBCIS   = 0x04 // buffer completion interrupt status
	rirbExUnsol = 1 << 4
	ringEntries = 256 // CORB and RIRB entries
	allOnes32   = 0xffffffff
	allOnes16   = 0xffff
)

func sdReg(sd int, r uint64) uint64 { return regSDBase + uint64(sd)*regSDStride + r }

// Verbs (include/sound/hda_verbs.h), addressed to codec 0, node nid.
const (
	verbGetPinSense     = 0xf09
	verbGetHDMIELDData  = 0xf2f
	verbSetAmpGainMute  = 0x300
	verbGetAmpGainMute  = 0xb00
	verbSetStreamFormat = 0x200
	verbSetChannelSID   = 0x706
)

func verb(nid, v, param uint32) uint32 { return nid<<20 | v<<8 | param }
