package chaos_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/island-sensors/island/chaos"
)

// TestCloseEndsSlowClosingLinks closes a server while a slow_close fault
// holds a finished connection open for far longer than the leak check
// waits: Close must end that link, not leave it to the delay.
func TestCloseEndsSlowClosingLinks(t *testing.T) {
	leakCheck(t)
	up := newUpstream(t)
	s := chaos.New(chaos.Options{Seed: 1})
	p, err := s.CreateProxy("slow", up.hostPort())
	require.NoError(t, err)
	require.NoError(t, p.AddFault(fault("linger", chaos.Downstream,
		chaos.SlowClose{Delay: time.Minute})))
	status, _, _, err := get(freshClient(t), p.URL()+"/")
	require.NoError(t, err)
	require.Equal(t, 200, status)
	require.NoError(t, s.Close())
}
