//go:build unix

package main

import (
	"errors"
	"net"
	"syscall"
)

// checkListening fails unless ln's socket is listening: a bound or connected
// socket handed over by mistake would otherwise fail only at its first
// Accept, after start-up looked fine.
func checkListening(ln net.Listener) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var v int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		v, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	}); err != nil {
		return err
	}
	if serr != nil {
		return serr
	}
	if v == 0 {
		return errors.New("the socket is not listening (call listen(2) before handing it over)")
	}
	return nil
}
