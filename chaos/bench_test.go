package chaos_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/chaos"
)

// BenchmarkDirect is the baseline: a GET straight to the upstream over a
// kept-alive connection.
func BenchmarkDirect(b *testing.B) {
	benchGet(b, newUpstream(b).URL)
}

// BenchmarkThroughProxy is the same GET through a proxy without faults.
func BenchmarkThroughProxy(b *testing.B) {
	benchProxy(b, nil)
}

// BenchmarkThroughHTTPStatus is the same GET through an http_status fault
// that parses every response and never fires.
func BenchmarkThroughHTTPStatus(b *testing.B) {
	benchProxy(b, chaos.HTTPStatus{Plan: chaos.Plan{Every: 1 << 40}, Status: 503})
}

func benchProxy(b *testing.B, k chaos.Kind) {
	up := newUpstream(b)
	p, err := newServer(b, 1).CreateProxy("alpha", up.hostPort())
	require.NoError(b, err)
	if k != nil {
		require.NoError(b, p.AddFault(chaos.Fault{Name: "f", Kind: k}))
	}
	benchGet(b, p.URL())
}

func benchGet(b *testing.B, url string) {
	tr := &http.Transport{}
	b.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	for b.Loop() {
		status, _, _, err := get(c, url)
		require.NoError(b, err)
		require.Equal(b, 200, status)
	}
}
