package fence

import (
	"errors"
	"fmt"
)

// Errno is a kernel error number; fence errors are stored negated, as in the kernel
// (dma_fence_set_error(f, -ECANCELED)).
type Errno int

// Error numbers drivers put on fences (include/uapi/asm-generic/errno*.h).
const (
	ESRCH     Errno = 3
	ENODEV    Errno = 19
	EINVAL    Errno = 22
	EDEADLK   Errno = 35
	ETIME     Errno = 62
	ETIMEDOUT Errno = 110
	ECANCELED Errno = 125
)

// maxErrno is MAX_ERRNO: errors live in [-4095, -1].
const maxErrno = 4095

func (e Errno) String() string { return fmt.Sprintf("%d", int(e)) }

// Errors returned like the kernel's negative return values.
var (
	// ErrInval is -EINVAL from dma_fence_signal on a fence that was already signalled.
	ErrInval = errors.New("-EINVAL: fence already signalled")
	// ErrNoEnt is -ENOENT from dma_fence_add_callback on a signalled fence.
	ErrNoEnt = errors.New("-ENOENT: fence already signalled")
)
