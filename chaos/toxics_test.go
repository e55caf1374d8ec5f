package chaos_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/chaos"
)

func TestScheduleFirstTwoResetIsExact(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	for run := range 20 {
		s := newServer(t, 7)
		p, err := s.CreateProxy("alpha", up.hostPort())
		require.NoError(t, err)
		require.NoError(t, p.AddFault(chaos.Fault{Name: "first2", Stream: chaos.Upstream,
			Kind: chaos.Schedule{Plan: chaos.Plan{First: 2}, Action: chaos.Reset}}))
		c := freshClient(t)
		hits := up.hits.Load()
		for attempt := 1; attempt <= 2; attempt++ {
			_, _, _, err := get(c, p.URL())
			require.ErrorIs(t, err, syscall.ECONNRESET, "run %d attempt %d", run, attempt)
		}
		status, _, _, err := get(c, p.URL())
		require.NoError(t, err, "run %d attempt 3", run)
		require.Equal(t, 200, status)
		require.Equal(t, hits+1, up.hits.Load(), "only attempt 3 reaches the upstream")
		require.Equal(t, int64(2), counter(t, p, "first2").Connections)
	}
}

func TestScheduleEveryThirdBlackholed(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := newServer(t, 7)
	p, err := s.CreateProxy("alpha", up.hostPort())
	require.NoError(t, err)
	require.NoError(t, p.AddFault(chaos.Fault{Name: "hole", Stream: chaos.Upstream,
		Kind: chaos.Schedule{Plan: chaos.Plan{Every: 3}, Action: chaos.Blackhole}}))
	c := freshClient(t)
	c.Timeout = 300 * time.Millisecond
	var failed []int
	for i := 1; i <= 6; i++ {
		if _, _, _, err := get(c, p.URL()); err != nil {
			failed = append(failed, i)
		}
	}
	require.Equal(t, []int{3, 6}, failed)
	require.Equal(t, int64(2), counter(t, p, "hole").Connections)
}

func TestScheduleTruncateGivesEOF(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := newServer(t, 7)
	p, err := s.CreateProxy("alpha", up.hostPort())
	require.NoError(t, err)
	require.NoError(t, p.AddFault(chaos.Fault{Name: "cut",
		Kind: chaos.Schedule{Plan: chaos.Plan{First: 1}, Action: chaos.Truncate, Bytes: 40}}))
	_, _, _, err = get(freshClient(t), p.URL())
	require.Error(t, err)
	require.False(t, errors.Is(err, syscall.ECONNRESET), "a truncate closes with a FIN: %v", err)
	require.Equal(t, int64(1), counter(t, p, "cut").Connections)
}

func TestResetAfterBytesIsAnRST(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := newServer(t, 7)
	p, err := s.CreateProxy("alpha", up.hostPort())
	require.NoError(t, err)
	require.NoError(t, p.AddFault(chaos.Fault{Name: "rst", Kind: chaos.ResetAfter{Bytes: 20}}))
	conn, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	got, err := io.ReadAll(conn)
	require.ErrorIs(t, err, syscall.ECONNRESET, "a reset, not a FIN")
	require.Len(t, got, 20)
	n := counter(t, p, "rst")
	require.Equal(t, int64(1), n.Connections)
	require.Equal(t, int64(20), n.Bytes)
}

func TestHTTPStatusAnswersFirstRequests(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := newServer(t, 7)
	p, err := s.CreateProxy("alpha", up.hostPort())
	require.NoError(t, err)
	require.NoError(t, p.AddFault(chaos.Fault{Name: "busy", Kind: chaos.HTTPStatus{
		Plan: chaos.Plan{First: 2}, Status: 503, RetryAfter: 2 * time.Second}}))
	client := freshClient(t)
	for i := 1; i <= 2; i++ {
		status, body, hdr, err := get(client, p.URL())
		require.NoError(t, err)
		require.Equal(t, 503, status)
		require.Equal(t, "2", hdr.Get("Retry-After"))
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		require.NoError(t, json.Unmarshal(body, &env))
		require.Equal(t, "unavailable", env.Error.Code)
	}
	status, _, _, err := get(client, p.URL())
	require.NoError(t, err)
	require.Equal(t, 200, status)
	require.Equal(t, int64(3), up.hits.Load(), "answered requests reached the upstream")
	require.Equal(t, int64(2), counter(t, p, "busy").Requests)
}

func TestRefuseNextRefusesExactly(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := newServer(t, 7)
	p, err := s.CreateProxy("alpha", up.hostPort())
	require.NoError(t, err)
	require.NoError(t, p.RefuseNext(2))
	for i := 1; i <= 2; i++ {
		require.ErrorIs(t, dial(p.Addr()), syscall.ECONNREFUSED, "attempt %d", i)
		require.NoError(t, p.AttemptDone())
	}
	require.NoError(t, dial(p.Addr()))
	require.NoError(t, p.AttemptDone())
	require.Equal(t, int64(2), counter(t, p, chaos.RefuseFault).Connections)
}

func TestStockLatencyIsCounted(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := newServer(t, 7)
	p, err := s.CreateProxy("alpha", up.hostPort())
	require.NoError(t, err)
	require.NoError(t, p.AddFault(chaos.Fault{Name: "slow",
		Kind: chaos.Latency{Latency: 50 * time.Millisecond}}))
	start := time.Now()
	status, _, _, err := get(freshClient(t), p.URL())
	require.NoError(t, err)
	require.Equal(t, 200, status)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	require.Equal(t, int64(1), counter(t, p, "slow").Connections)
}
