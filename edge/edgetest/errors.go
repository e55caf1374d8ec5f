package edgetest

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// The errors below have the shapes that Go's net and net/http packages
// return on Linux, for scripts that must look like the real network.

// Refused returns the error of a dial to a port where nothing listens.
func Refused() error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: loopback(),
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// Unreachable returns the error of a dial to a network with no route.
func Unreachable() error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: loopback(),
		Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}
}

// Reset returns the error of reading from a connection the peer reset.
func Reset() error {
	return &net.OpError{Op: "read", Net: "tcp", Addr: loopback(),
		Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// BrokenPipe returns the error of writing to a connection the peer closed.
func BrokenPipe() error {
	return &net.OpError{Op: "write", Net: "tcp", Addr: loopback(),
		Err: os.NewSyscallError("write", syscall.EPIPE)}
}

// DialTimeout returns the error of a dial that ran out of time.
func DialTimeout() error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: loopback(), Err: os.ErrDeadlineExceeded}
}

// UnexpectedEOF returns the error of an answer cut short.
func UnexpectedEOF() error { return io.ErrUnexpectedEOF }

// Malformed returns an error like the one net/http gives for an answer that
// is not HTTP.
func Malformed() error {
	return errors.New("net/http: HTTP/1.x transport connection broken: " +
		`malformed HTTP response "garbage"`)
}

func loopback() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }
