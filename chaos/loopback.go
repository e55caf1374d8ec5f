package chaos

import (
	"fmt"
	"net"
)

// CheckLoopback returns an error unless addr's host is a loopback address
// (or localhost). The proxy API has no authentication, so it must not be
// reachable from elsewhere unless the operator says so.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("API address %q: %w; give host:port, e.g. 127.0.0.1:8474", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("API address %q is not loopback, and the API has no authentication: "+
		"use 127.0.0.1, or allow remote access explicitly", addr)
}
