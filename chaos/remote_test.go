package chaos_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/chaos"
)

// TestRemoteDrivesTheAPI drives an in-process server through its HTTP API
// with the Remote driver, as the harness would drive a proxy in a container.
func TestRemoteDrivesTheAPI(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := newServer(t, 5)
	require.NoError(t, s.ListenAPI("127.0.0.1:0"))
	var d chaos.Driver = chaos.NewRemote(s.APIURL())
	t.Cleanup(func() { require.NoError(t, d.Close()) })

	p, err := d.CreateProxy("alpha", up.hostPort())
	require.NoError(t, err)
	require.NotContains(t, p.Addr(), ":0", "the real port is reported")
	require.NoError(t, p.AddFault(chaos.Fault{Name: "first2", Stream: chaos.Upstream,
		Kind: chaos.Schedule{Plan: chaos.Plan{First: 2}, Action: chaos.Reset}}))
	c := freshClient(t)
	for i := 1; i <= 2; i++ {
		_, _, _, err := get(c, p.URL())
		require.ErrorIs(t, err, syscall.ECONNRESET, "a real reset through the API, attempt %d", i)
	}
	status, _, _, err := get(c, p.URL())
	require.NoError(t, err)
	require.Equal(t, 200, status)
	require.Equal(t, int64(2), counter(t, p, "first2").Connections)

	require.NoError(t, p.UpdateFault(chaos.Fault{Name: "first2", Stream: chaos.Upstream,
		Kind: chaos.Schedule{Plan: chaos.Plan{First: 1}, Action: chaos.Blackhole}}))
	local, err := s.Proxy("alpha")
	require.NoError(t, err)
	cs, err := local.Counters()
	require.NoError(t, err)
	require.Len(t, cs, 1, "the reset companion is gone with the reset: %+v", cs)

	require.NoError(t, p.RefuseNext(1))
	require.ErrorIs(t, dial(p.Addr()), syscall.ECONNREFUSED)
	require.NoError(t, p.AttemptDone())
	require.NoError(t, dial(p.Addr()))
	require.Equal(t, int64(1), counter(t, p, chaos.RefuseFault).Connections)

	require.NoError(t, p.RemoveFault("first2"))
	require.NoError(t, d.ResetAll())
	require.NoError(t, p.Delete())
	_, err = d.Proxy("alpha")
	require.Error(t, err)
}

func TestAPIRefusesNonLoopback(t *testing.T) {
	s := newServer(t, 1)
	err := s.ListenAPI("0.0.0.0:0")
	require.ErrorContains(t, err, "not loopback")
	require.Empty(t, s.APIURL())
	require.NoError(t, chaos.CheckLoopback("[::1]:8474"))
	require.NoError(t, chaos.CheckLoopback("localhost:8474"))
	require.Error(t, chaos.CheckLoopback(":8474"), "an empty host binds every interface")

}
