// Package atomic models the kernel's lock-free idioms on shared fields as scheduling points:
// READ_ONCE/WRITE_ONCE of a plain field (Var), atomic_t (Int: atomic_read, atomic_set,
// atomic_inc, atomic_dec_and_test, atomic_cmpxchg, atomic_inc_not_zero, ...) and the atomic
// bitops on an unsigned long (Bits: set_bit, clear_bit, test_bit, test_and_set_bit,
// test_and_clear_bit). Every operation is one p.Point before it acts, and the read-modify-write
// operations act in the same step, so they are indivisible as on the hardware, while a
// check-then-act written as a READ_ONCE followed by a WRITE_ONCE has a scheduling point between
// the two: a strategy can run another process in that window, which is how the race shows.
//
// There is no oracle here: a lost update is a protocol bug that the objects it corrupts
// report (a double free, a second reset). The package's tests show a check-then-act on a Var
// found by the random strategy over seeds while the test_and_set_bit version stays clean.
//
// Kernel sources read (mainline, v6.12-v6.16):
//
//   - include/asm-generic/rwonce.h (READ_ONCE, WRITE_ONCE: one untorn access, no ordering);
//   - include/linux/atomic/atomic-instrumented.h and atomic-arch-fallback.h (atomic_read,
//     atomic_set, atomic_inc, atomic_dec, atomic_add_return, atomic_dec_and_test,
//     atomic_cmpxchg returning the old value, atomic_inc_not_zero via atomic_add_unless);
//   - include/asm-generic/bitops/atomic.h and instrumented-atomic.h (set_bit, clear_bit,
//     test_and_set_bit, test_and_clear_bit returning the old bit); generic-non-atomic.h
//     (test_bit);
//   - Documentation/atomic_t.txt (RMW operations with a return value are fully ordered).
//
// Simplified, one line each:
//
//   - sequentially consistent: no weak memory ordering, barriers or store buffering are modelled;
//   - one bitmap word of 64 bits (BITS_PER_LONG on 64-bit); a bit number outside it is a model bug (panic);
//   - atomic_t holds an int64 (no 32-bit wrap-around);
//   - the non-atomic __set_bit/__clear_bit variants are not separate: use a Var for a field
//     written without atomics.
package atomic
