package explore

import (
	"fmt"

	"hotplugsim/des"
)

// Ports of SCTBench's CS benchmarks (github.com/mc-imperial/sctbench,
// benchmarks/concurrent-software-benchmarks, the _bad variants). Each keeps the C program's
// threads (main included), its shared accesses (each a scheduling point) and its assertion;
// the deadlock benchmarks are found by the engine ("deadlock"). __ESBMC_atomic_begin/end is a
// global mutex, as SCTBench's common.inc defines it.

func lbl(name string) des.Label { return des.L(name) }

// account_bad.c
func account(s *des.Sim) {
	m := newMutex(s, "m")
	vx, vy, vz, vbal, vdd, vwd := lbl("x"), lbl("y"), lbl("z"), lbl("balance"), lbl("deposit_done"), lbl("withdraw_done")
	var x, y, z, balance int
	var depositDone, withdrawDone bool
	s.Spawn("main", des.Task, func(p *des.Proc) {
		wr(p, vx)
		x = 1
		wr(p, vy)
		y = 2
		wr(p, vz)
		z = 4
		rd(p, vx)
		wr(p, vbal)
		balance = x
		create(p, "check_result", func(p *des.Proc) {
			m.lock(p)
			rd(p, vdd)
			if depositDone {
				rd(p, vwd)
				if withdrawDone {
					rd(p, vbal)
					b := balance
					rd(p, vx)
					rd(p, vy)
					rd(p, vz)
					check(p, b == (x-y)-z, "balance == (x - y) - z")
				}
			}
			m.unlock(p)
		})
		create(p, "deposit", func(p *des.Proc) {
			m.lock(p)
			rd(p, vbal)
			rd(p, vy)
			wr(p, vbal)
			balance = balance + y
			wr(p, vdd)
			depositDone = true
			m.unlock(p)
		})
		create(p, "withdraw", func(p *des.Proc) {
			m.lock(p)
			rd(p, vbal)
			rd(p, vz)
			wr(p, vbal)
			balance = balance - z
			wr(p, vwd)
			withdrawDone = true
			m.unlock(p)
		})
	})
}

// arithmetic_prog_bad.c (N = 3)
func arithmeticProg(s *des.Sim) {
	const n = 3
	m, empty, full := newMutex(s, "m"), newCond(s, "empty"), newCond(s, "full")
	vnum, vtotal, vflag := lbl("num"), lbl("total"), lbl("flag")
	var num, total int
	var flag bool
	s.Spawn("main", des.Task, func(p *des.Proc) {
		t1 := create(p, "thread1", func(p *des.Proc) {
			for i := 0; i < n; i++ {
				m.lock(p)
				for rd(p, vnum); num > 0; rd(p, vnum) {
					empty.wait(p, m)
				}
				rd(p, vnum)
				wr(p, vnum)
				num++
				m.unlock(p)
				full.signal(p)
			}
		})
		t2 := create(p, "thread2", func(p *des.Proc) {
			j := 0
			for ; j < n; j++ {
				m.lock(p)
				for rd(p, vnum); num == 0; rd(p, vnum) {
					full.wait(p, m)
				}
				rd(p, vtotal)
				wr(p, vtotal)
				total += j
				rd(p, vnum)
				wr(p, vnum)
				num--
				m.unlock(p)
				empty.signal(p)
			}
			rd(p, vtotal)
			wr(p, vtotal)
			total += j
			wr(p, vflag)
			flag = true
		})
		join(p, t1)
		join(p, t2)
		rd(p, vflag)
		if flag {
			rd(p, vtotal)
			check(p, total != n*(n+1)/2, "total != N*(N+1)/2")
		}
	})
}

// bluetooth_driver_bad.c
func bluetoothDriver(s *des.Sim) {
	atomic := newMutex(s, "esbmc_mutex")
	vpend, vsflag, vsevent, vstopped := lbl("pendingIo"), lbl("stoppingFlag"), lbl("stoppingEvent"), lbl("stopped")
	pendingIo, stoppingFlag, stoppingEvent, stopped := 1, false, false, false
	ioIncrement := func(p *des.Proc) int {
		rd(p, vsflag)
		if stoppingFlag {
			return -1
		}
		atomic.lock(p)
		rd(p, vpend)
		wr(p, vpend)
		pendingIo++
		atomic.unlock(p)
		return 0
	}
	ioDecrement := func(p *des.Proc) {
		atomic.lock(p)
		rd(p, vpend)
		wr(p, vpend)
		pendingIo--
		rd(p, vpend)
		pending := pendingIo
		atomic.unlock(p)
		if pending == 0 {
			wr(p, vsevent)
			stoppingEvent = true
		}
	}
	s.Spawn("main", des.Task, func(p *des.Proc) {
		stop := create(p, "BCSP_PnpStop", func(p *des.Proc) {
			wr(p, vsflag)
			stoppingFlag = true
			ioDecrement(p)
			rd(p, vsevent)
			if stoppingEvent {
				wr(p, vstopped)
				stopped = true
			}
		})
		// BCSP_PnpAdd
		if ioIncrement(p) == 0 {
			rd(p, vstopped)
			check(p, !stopped, "!stopped")
		}
		ioDecrement(p)
		join(p, stop)
	})
}

// carter01_bad.c (a deadlock)
func carter01(s *des.Sim) {
	m, l := newMutex(s, "m"), newMutex(s, "l")
	va, vb := lbl("A"), lbl("B")
	var a, b int
	side := func(v des.Label, c *int) func(*des.Proc) {
		return func(p *des.Proc) {
			m.lock(p)
			rd(p, v)
			wr(p, v)
			*c++
			rd(p, v)
			if *c == 1 {
				l.lock(p)
			}
			m.unlock(p)
			m.lock(p)
			rd(p, v)
			wr(p, v)
			*c--
			rd(p, v)
			if *c == 0 {
				l.unlock(p)
			}
			m.unlock(p)
		}
	}
	s.Spawn("main", des.Task, func(p *des.Proc) {
		a1 := create(p, "t1", side(va, &a))
		b1 := create(p, "t2", side(vb, &b))
		a2 := create(p, "t3", func(*des.Proc) {})
		b2 := create(p, "t4", func(*des.Proc) {})
		join(p, a1)
		join(p, b1)
		join(p, a2)
		join(p, b2)
	})
}

// circular_buffer_bad.c (BUFFER_MAX 10, N 7)
func circularBuffer(s *des.Sim) {
	const bufferMax, n, errv = 10, 7, -1
	m := newMutex(s, "m")
	vbuf, vfirst, vnext, vsize, vsend, vrecv := lbl("buffer"), lbl("first"), lbl("next"), lbl("buffer_size"), lbl("send"), lbl("receive")
	var buffer [bufferMax]int
	var first, next, bufferSize int
	var send, receive bool
	remove := func(p *des.Proc) int {
		rd(p, vfirst)
		rd(p, vnext)
		if next > 0 {
			rd(p, vfirst)
			rd(p, vsize)
			if first < bufferSize {
				rd(p, vfirst)
				wr(p, vfirst)
				first++
				rd(p, vfirst)
				rd(p, vbuf)
				return buffer[first-1]
			}
		}
		return errv
	}
	insert := func(p *des.Proc, b int) int {
		rd(p, vnext)
		rd(p, vsize)
		if next < bufferSize {
			rd(p, vsize)
			if bufferSize > 0 {
				rd(p, vnext)
				wr(p, vbuf)
				buffer[next] = b
				rd(p, vnext)
				rd(p, vsize)
				wr(p, vnext)
				next = (next + 1) % bufferSize
				rd(p, vnext)
				rd(p, vsize)
				check(p, next < bufferSize, "next < buffer_size")
				return b
			}
		}
		return errv
	}
	s.Spawn("main", des.Task, func(p *des.Proc) {
		wr(p, vsize)
		bufferSize = bufferMax
		wr(p, vnext)
		wr(p, vfirst)
		first, next = 0, 0
		wr(p, vsend)
		send = true
		wr(p, vrecv)
		receive = false
		t1 := create(p, "t1", func(p *des.Proc) {
			for i := 0; i < n; i++ {
				m.lock(p)
				rd(p, vsend)
				if send {
					insert(p, i)
					wr(p, vsend)
					send = false
					wr(p, vrecv)
					receive = true
				}
				m.unlock(p)
			}
		})
		t2 := create(p, "t2", func(p *des.Proc) {
			for i := 0; i < n; i++ {
				m.lock(p)
				rd(p, vrecv)
				if receive {
					check(p, remove(p) == i, "removeLogElement() == i")
					wr(p, vrecv)
					receive = false
					wr(p, vsend)
					send = true
				}
				m.unlock(p)
			}
		})
		join(p, t1)
		join(p, t2)
	})
}

// deadlock01_bad.c
func deadlock01(s *des.Sim) {
	a, b := newMutex(s, "a"), newMutex(s, "b")
	vc := lbl("counter")
	counter := 1
	s.Spawn("main", des.Task, func(p *des.Proc) {
		t1 := create(p, "thread1", func(p *des.Proc) {
			a.lock(p)
			b.lock(p)
			rd(p, vc)
			wr(p, vc)
			counter++
			b.unlock(p)
			a.unlock(p)
		})
		t2 := create(p, "thread2", func(p *des.Proc) {
			b.lock(p)
			a.lock(p)
			rd(p, vc)
			wr(p, vc)
			counter--
			a.unlock(p)
			b.unlock(p)
		})
		join(p, t1)
		join(p, t2)
	})
}

// lazy01_bad.c
func lazy01(s *des.Sim) {
	m := newMutex(s, "mutex")
	vd := lbl("data")
	data := 0
	add := func(k int) func(*des.Proc) {
		return func(p *des.Proc) {
			m.lock(p)
			rd(p, vd)
			wr(p, vd)
			data += k
			m.unlock(p)
		}
	}
	s.Spawn("main", des.Task, func(p *des.Proc) {
		t1 := create(p, "thread1", add(1))
		t2 := create(p, "thread2", add(2))
		t3 := create(p, "thread3", func(p *des.Proc) {
			m.lock(p)
			rd(p, vd)
			check(p, data < 3, "data < 3")
			m.unlock(p)
		})
		join(p, t1)
		join(p, t2)
		join(p, t3)
	})
}

// phase01_bad.c (a deadlock)
func phase01(s *des.Sim) {
	x, y := newMutex(s, "x"), newMutex(s, "y")
	body := func(p *des.Proc) {
		x.lock(p)
		x.unlock(p)
		x.lock(p)
		y.lock(p)
		y.unlock(p)
		y.lock(p)
		y.unlock(p)
	}
	s.Spawn("main", des.Task, func(p *des.Proc) {
		t1 := create(p, "t1", body)
		t2 := create(p, "t2", body)
		join(p, t1)
		join(p, t2)
	})
}

// queue_bad.c (SIZE 20)
func queue(s *des.Sim) {
	const size = 20
	m := newMutex(s, "m")
	vel, vhead, vtail, vamount, vstored, venq, vdeq := lbl("element"), lbl("head"), lbl("tail"), lbl("amount"), lbl("stored_elements"), lbl("enqueue_flag"), lbl("dequeue_flag")
	var element [size + 1]int // the C code writes element[SIZE] (tail == SIZE) out of bounds
	var stored [size]int
	var head, tail, amount int
	var enqFlag, deqFlag bool
	empty := func(p *des.Proc) bool {
		rd(p, vhead)
		rd(p, vtail)
		return head == tail
	}
	enqueue := func(p *des.Proc, x int) {
		rd(p, vtail)
		wr(p, vel)
		element[tail] = x
		rd(p, vamount)
		wr(p, vamount)
		amount++
		rd(p, vtail)
		if tail == size {
			wr(p, vtail)
			tail = 1
		} else {
			rd(p, vtail)
			wr(p, vtail)
			tail++
		}
	}
	dequeue := func(p *des.Proc) int {
		rd(p, vhead)
		rd(p, vel)
		x := element[head]
		rd(p, vamount)
		wr(p, vamount)
		amount--
		rd(p, vhead)
		if head == size {
			wr(p, vhead)
			head = 1
		} else {
			rd(p, vhead)
			wr(p, vhead)
			head++
		}
		return x
	}
	s.Spawn("main", des.Task, func(p *des.Proc) {
		wr(p, venq)
		enqFlag = true
		wr(p, vdeq)
		deqFlag = false
		wr(p, vhead)
		wr(p, vtail)
		wr(p, vamount)
		head, tail, amount = 0, 0, 0
		check(p, empty(p), "empty(&queue) == EMPTY")
		t1 := create(p, "t1", func(p *des.Proc) {
			m.lock(p)
			value := 0
			enqueue(p, value)
			wr(p, vstored)
			stored[0] = value
			check(p, !empty(p), "!empty(&queue)")
			m.unlock(p)
			for i := 0; i < size-1; i++ {
				m.lock(p)
				rd(p, venq)
				if enqFlag {
					value++
					enqueue(p, value)
					wr(p, vstored)
					stored[i+1] = value
					wr(p, venq)
					enqFlag = false
					wr(p, vdeq)
					deqFlag = true
				}
				m.unlock(p)
			}
		})
		t2 := create(p, "t2", func(p *des.Proc) {
			for i := 0; i < size; i++ {
				m.lock(p)
				rd(p, vdeq)
				if deqFlag {
					x := dequeue(p)
					rd(p, vstored)
					check(p, x == stored[i], "dequeue(&queue) == stored_elements[i]")
					wr(p, vdeq)
					deqFlag = false
					wr(p, venq)
					enqFlag = true
				}
				m.unlock(p)
			}
		})
		join(p, t1)
		join(p, t2)
	})
}

// reorder_bad.c with iSet setters and iCheck checkers (reorder_3: 2/1, _4: 3/1, _5: 4/1,
// _10: 9/1, _20: 10/10).
func reorder(iSet, iCheck int) func(*des.Sim) {
	return func(s *des.Sim) {
		va, vb := lbl("a"), lbl("b")
		var a, b int
		s.Spawn("main", des.Task, func(p *des.Proc) {
			var ts []*des.Proc
			for i := 0; i < iSet; i++ {
				ts = append(ts, create(p, fmt.Sprint("set", i), func(p *des.Proc) {
					wr(p, va)
					a = 1
					wr(p, vb)
					b = -1
				}))
			}
			for i := 0; i < iCheck; i++ {
				ts = append(ts, create(p, fmt.Sprint("check", i), func(p *des.Proc) {
					rd(p, va)
					av := a
					rd(p, vb)
					bv := b
					check(p, (av == 0 && bv == 0) || (av == 1 && bv == -1), "(a == 0 && b == 0) || (a == 1 && b == -1)")
				}))
			}
			for _, t := range ts {
				join(p, t)
			}
		})
	}
}

// stack_bad.c (SIZE 10)
func stack(s *des.Sim) {
	const size, overflow, underflow = 10, -1, -2
	m := newMutex(s, "m")
	vtop, varr, vflag := lbl("top"), lbl("arr"), lbl("flag")
	var arr [size]int
	var top int
	var flag bool
	getTop := func(p *des.Proc) int { rd(p, vtop); return top }
	push := func(p *des.Proc, x int) int {
		if getTop(p) == size {
			return overflow
		}
		t := getTop(p)
		wr(p, varr)
		arr[t] = x
		rd(p, vtop)
		wr(p, vtop)
		top++
		return 0
	}
	pop := func(p *des.Proc) int {
		if getTop(p) == 0 {
			return underflow
		}
		rd(p, vtop)
		wr(p, vtop)
		top--
		t := getTop(p)
		rd(p, varr)
		return arr[t]
	}
	s.Spawn("main", des.Task, func(p *des.Proc) {
		t1 := create(p, "t1", func(p *des.Proc) {
			for i := 0; i < size; i++ {
				m.lock(p)
				check(p, push(p, i) != overflow, "push(arr,i) != OVERFLOW")
				wr(p, vflag)
				flag = true
				m.unlock(p)
			}
		})
		t2 := create(p, "t2", func(p *des.Proc) {
			for i := 0; i < size; i++ {
				m.lock(p)
				rd(p, vflag)
				if flag {
					check(p, pop(p) != underflow, "pop(arr) != UNDERFLOW")
				}
				m.unlock(p)
			}
		})
		join(p, t1)
		join(p, t2)
	})
}

// sync01_bad.c (N 1, a deadlock) and sync02_bad.c (N 2, a deadlock): a producer and a
// consumer on num, which main sets to num0.
func syncPC(n, num0 int) func(*des.Sim) {
	return func(s *des.Sim) {
		m, empty, full := newMutex(s, "m"), newCond(s, "empty"), newCond(s, "full")
		vnum := lbl("num")
		var num int
		s.Spawn("main", des.Task, func(p *des.Proc) {
			wr(p, vnum)
			num = num0
			t1 := create(p, "producer", func(p *des.Proc) {
				for i := 0; i < n; i++ {
					m.lock(p)
					for rd(p, vnum); num > 0; rd(p, vnum) {
						empty.wait(p, m)
					}
					rd(p, vnum)
					wr(p, vnum)
					num++
					m.unlock(p)
					full.signal(p)
				}
			})
			t2 := create(p, "consumer", func(p *des.Proc) {
				for j := 0; j < n; j++ {
					m.lock(p)
					for rd(p, vnum); num == 0; rd(p, vnum) {
						full.wait(p, m)
					}
					if n > 1 { // sync02 consumes; sync01's thread2 only waits
						rd(p, vnum)
						wr(p, vnum)
						num--
					}
					m.unlock(p)
					empty.signal(p)
				}
			})
			join(p, t1)
			join(p, t2)
		})
	}
}

// token_ring_bad.c
func tokenRing(s *des.Sim) {
	atomic := newMutex(s, "esbmc_mutex")
	vx1, vx2, vx3, vf1, vf2, vf3 := lbl("x1"), lbl("x2"), lbl("x3"), lbl("flag1"), lbl("flag2"), lbl("flag3")
	x1, x2, x3 := 1, 2, 1
	var f1, f2, f3 bool
	s.Spawn("main", des.Task, func(p *des.Proc) {
		create(p, "t1", func(p *des.Proc) {
			atomic.lock(p)
			rd(p, vx3)
			wr(p, vx1)
			x1 = (x3 + 1) % 4
			wr(p, vf1)
			f1 = true
			atomic.unlock(p)
		})
		create(p, "t2", func(p *des.Proc) {
			atomic.lock(p)
			rd(p, vx1)
			wr(p, vx2)
			x2 = x1
			wr(p, vf2)
			f2 = true
			atomic.unlock(p)
		})
		create(p, "t3", func(p *des.Proc) {
			atomic.lock(p)
			rd(p, vx2)
			wr(p, vx3)
			x3 = x2
			wr(p, vf3)
			f3 = true
			atomic.unlock(p)
		})
		create(p, "t4", func(p *des.Proc) {
			atomic.lock(p)
			rd(p, vf1)
			if f1 {
				rd(p, vf2)
				if f2 {
					rd(p, vf3)
					if f3 {
						rd(p, vx1)
						rd(p, vx2)
						ok := x1 == x2
						if ok {
							rd(p, vx3)
							ok = x2 == x3
						}
						check(p, ok, "x1 == x2 && x2 == x3")
					}
				}
			}
			atomic.unlock(p)
		})
	})
}

// twostage_bad.c (1 two-stage thread, 1 reader) and twostage_100_bad.c (99 and 1).
func twostage(nT, nR int) func(*des.Sim) {
	return func(s *des.Sim) {
		l1, l2 := newMutex(s, "data1Lock"), newMutex(s, "data2Lock")
		vd1, vd2 := lbl("data1Value"), lbl("data2Value")
		var d1, d2 int
		s.Spawn("main", des.Task, func(p *des.Proc) {
			var ts []*des.Proc
			for i := 0; i < nT; i++ {
				ts = append(ts, create(p, fmt.Sprint("funcA", i), func(p *des.Proc) {
					l1.lock(p)
					wr(p, vd1)
					d1 = 1
					l1.unlock(p)
					l2.lock(p)
					rd(p, vd1)
					wr(p, vd2)
					d2 = d1 + 1
					l2.unlock(p)
				}))
			}
			for i := 0; i < nR; i++ {
				ts = append(ts, create(p, fmt.Sprint("funcB", i), func(p *des.Proc) {
					l1.lock(p)
					rd(p, vd1)
					if d1 == 0 {
						l1.unlock(p)
						return
					}
					rd(p, vd1)
					t1 := d1
					l1.unlock(p)
					l2.lock(p)
					rd(p, vd2)
					t2 := d2
					l2.unlock(p)
					check(p, t2 == t1+1, "t2 == t1 + 1")
				}))
			}
			for _, t := range ts {
				join(p, t)
			}
		})
	}
}

// wronglock_bad.c (1 funcA, 7 funcB) and wronglock_3_bad.c (1 and 3).
func wronglock(n1, n2 int) func(*des.Sim) {
	return func(s *des.Sim) {
		dataLock, thisLock := newMutex(s, "dataLock"), newMutex(s, "thisLock")
		vd := lbl("dataValue")
		var data int
		s.Spawn("main", des.Task, func(p *des.Proc) {
			var ts []*des.Proc
			for i := 0; i < n1; i++ {
				ts = append(ts, create(p, fmt.Sprint("funcA", i), func(p *des.Proc) {
					dataLock.lock(p)
					rd(p, vd)
					x := data
					rd(p, vd)
					v := data
					wr(p, vd)
					data = v + 1
					rd(p, vd)
					check(p, data == x+1, "dataValue == x + 1")
					dataLock.unlock(p)
				}))
			}
			for i := 0; i < n2; i++ {
				ts = append(ts, create(p, fmt.Sprint("funcB", i), func(p *des.Proc) {
					thisLock.lock(p)
					rd(p, vd)
					v := data
					wr(p, vd)
					data = v + 1
					thisLock.unlock(p)
				}))
			}
			for _, t := range ts {
				join(p, t)
			}
		})
	}
}
