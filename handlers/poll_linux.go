package handlers

import (
	"net"
	"sync"
	"syscall"
)

// pollSupported reports whether parked streams' hang-ups can be watched
// here (epoll): streams are parked only where they can.
const pollSupported = true

// poller watches parked streams' connections for the client's hang-up
// with an epoll set of its own, beside the runtime's, on one goroutine
// for all of them: what net/http's background read of each connection
// does on the standard path. It runs only while streams are parked.
type poller struct {
	epfd int
	// wake's read end is in the set; a byte written stops the poller.
	wake [2]int

	mu      sync.Mutex
	streams map[uint64]*stream
	next    uint64
	stopped bool
}

// startPoller starts a poller whose goroutine wg joins. If epoll cannot
// be had, the poller watches nothing, and a hang-up is noticed at the
// next write, a keep-alive at the latest.
func startPoller(wg *sync.WaitGroup) *poller {
	pl := &poller{epfd: -1, streams: map[uint64]*stream{}}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return pl
	}
	if err := syscall.Pipe2(pl.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(epfd)
		return pl
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	// Key 0 is the wake pipe; streams' keys start at 1.
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, pl.wake[0], &ev); err != nil {
		_ = syscall.Close(epfd)
		_ = syscall.Close(pl.wake[0])
		_ = syscall.Close(pl.wake[1])
		return pl
	}
	pl.epfd = epfd
	wg.Add(1)
	go pl.run(wg)
	return pl
}

func (pl *poller) run(wg *sync.WaitGroup) {
	defer wg.Done()
	defer func() {
		_ = syscall.Close(pl.epfd)
		_ = syscall.Close(pl.wake[0])
		_ = syscall.Close(pl.wake[1])
	}()
	events := make([]syscall.EpollEvent, 64)
	for {
		n, err := syscall.EpollWait(pl.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			key := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if key == 0 {
				return // stopped
			}
			// Data alone (a client that sends after its request) is not
			// a hang-up; the edge of the hang-up comes on its own.
			if ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) == 0 {
				continue
			}
			pl.mu.Lock()
			st := pl.streams[key]
			pl.mu.Unlock()
			if st != nil {
				st.gone()
			}
		}
	}
}

// add watches st's connection; it returns st's key, 0 when it cannot.
// A key is never used twice, so that an event of a descriptor closed and
// reused meanwhile cannot end another stream.
func (pl *poller) add(st *stream) uint64 {
	if pl.epfd < 0 {
		return 0
	}
	fd, ok := connFD(st.pk.conn)
	if !ok {
		return 0
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.next++
	key := pl.next
	pl.streams[key] = st
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLRDHUP | syscall.EPOLLIN | -syscall.EPOLLET,
		Fd:     int32(uint32(key)),
		Pad:    int32(uint32(key >> 32)),
	}
	if err := syscall.EpollCtl(pl.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		delete(pl.streams, key)
		return 0
	}
	return key
}

// remove stops watching the stream with the key, before its connection
// is closed.
func (pl *poller) remove(key uint64) {
	if key == 0 {
		return
	}
	pl.mu.Lock()
	st := pl.streams[key]
	delete(pl.streams, key)
	pl.mu.Unlock()
	if st == nil {
		return
	}
	if fd, ok := connFD(st.pk.conn); ok {
		_ = syscall.EpollCtl(pl.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	}
}

// stop ends the poller's goroutine, which closes its descriptors.
func (pl *poller) stop() {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.epfd < 0 || pl.stopped {
		return
	}
	pl.stopped = true
	_, _ = syscall.Write(pl.wake[1], []byte{0})
}

// connFD returns the descriptor under c, unwrapping the listener's
// counting wrapper.
func connFD(c net.Conn) (int, bool) {
	for {
		if sc, ok := c.(syscall.Conn); ok {
			rc, err := sc.SyscallConn()
			if err != nil {
				return 0, false
			}
			fd := -1
			if err := rc.Control(func(d uintptr) { fd = int(d) }); err != nil || fd < 0 {
				return 0, false
			}
			return fd, true
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return 0, false
		}
		c = u.NetConn()
	}
}
