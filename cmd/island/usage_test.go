package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const wantUsage = `Usage: island <command> [flags]

Commands:
  hub      run the hub that edges post observations to
  edge     post observations to a hub as one edge node
  chaos    run the robustness suites and write JUnit and JSON reports
  proxy    run the chaos proxy and its toxiproxy-compatible API
  lab      run a whole island, hub, proxy and edges, to hurt by hand

Run "island <command> --help" for a command's flags. Every flag
can also be set as an ISLAND_* environment variable: --max-body is
ISLAND_MAX_BODY. A flag on the command line wins.
`

func TestUsage(t *testing.T) {
	env, out, _ := testEnv(nil)
	require.NoError(t, run(context.Background(), []string{"help"}, env))
	assert.Equal(t, wantUsage, out.String())

	env, out, _ = testEnv(nil)
	assert.ErrorIs(t, run(context.Background(), nil, env), errUsage)
	assert.Equal(t, wantUsage, out.String(), "no command prints the usage too")

	env, _, errOut := testEnv(nil)
	err := run(context.Background(), []string{"hbu"}, env)
	assert.ErrorIs(t, err, errUsage)
	assert.EqualError(t, err, `unknown command "hbu": see --help`)
	assert.Equal(t, wantUsage, errOut.String())
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		env, out, errOut := testEnv(nil)
		err := run(context.Background(), []string{c.name, "--help"}, env)
		assert.ErrorIs(t, err, flag.ErrHelp, c.name)
		assert.Contains(t, out.String(), "Usage: island "+c.name+" [flags]", c.name)
		assert.Empty(t, errOut.String(), "%s --help writes to stdout alone", c.name)
		assert.Equal(t, exitOK, exitCode(err, errOut), c.name)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		err     error
		code    int
		printed string
	}{
		{nil, exitOK, ""},
		{flag.ErrHelp, exitOK, ""},
		{errUsage, exitBroken, ""},
		{fmt.Errorf("--every 0s: must be positive: %w", errUsage), exitBroken,
			"island: --every 0s: must be positive: see --help\n"},
		{fmt.Errorf("%w: 2 of 51 cases (R-01a, R-03d)", errFailed), exitFailed,
			"island: failed: 2 of 51 cases (R-01a, R-03d)\n"},
		{errors.New("listen tcp: address in use"), exitBroken,
			"island: listen tcp: address in use\n"},
	}
	for _, tt := range tests {
		_, _, errOut := testEnv(nil)
		assert.Equal(t, tt.code, exitCode(tt.err, errOut), "%v", tt.err)
		assert.Equal(t, tt.printed, errOut.String(), "%v", tt.err)
	}
}
