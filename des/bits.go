package des

import "math/bits"

func bits64Mul(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }
