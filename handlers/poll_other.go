//go:build !linux

package handlers

import "sync"

// pollSupported reports whether parked streams' hang-ups can be watched
// here: not without epoll, so streams are not parked.
const pollSupported = false

type poller struct{}

func startPoller(*sync.WaitGroup) *poller { return &poller{} }
func (*poller) add(*stream) uint64        { return 0 }
func (*poller) remove(uint64)             {}
func (*poller) stop()                     {}
