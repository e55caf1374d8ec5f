// Command island runs the parts of the Island sensor network and its chaos
// harness: the hub, an edge node, the chaos proxy, the robustness suites and
// the interactive lab. Run "island help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"
)

// Exit codes. Only main chooses them.
const (
	exitOK     = 0
	exitFailed = 1 // the work ran and something it checked failed
	exitBroken = 2 // bad usage, or the tool itself could not run
)

// errFailed marks an error that means "ran, and a check or a batch failed"
// rather than "could not run"; it maps to exit code 1.
var errFailed = errors.New("failed")

// errUsage marks bad usage. Bare, it means the flag package has printed
// why; wrapped, the message says it.
var errUsage = errors.New("see --help")

// command is one subcommand of island.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env *environment) error
}

// environment is what a subcommand may touch of the process.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		hubCommand(),
		edgeCommand(),
		chaosCommand(),
		proxyCommand(),
		labCommand(),
	}
}

func main() {
	// Toxiproxy's bandwidth toxic logs through zerolog's global logger
	// rather than the proxy's own; keep its per-chunk trace lines off the
	// console. Its warnings still show.
	zerolog.SetGlobalLevel(zerolog.DebugLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	err := run(ctx, os.Args[1:], env)
	stop()
	os.Exit(exitCode(err, env.stderr))
}

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		if err != errUsage { // a bare errUsage: the flag package said why
			fmt.Fprintln(stderr, "island:", err)
		}
		return exitBroken
	case errors.Is(err, errFailed):
		fmt.Fprintln(stderr, "island:", err)
		return exitFailed
	default:
		fmt.Fprintln(stderr, "island:", err)
		return exitBroken
	}
}

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string, env *environment) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	printUsage(env.stderr)
	return fmt.Errorf("unknown command %q: %w", args[0], errUsage)
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "Usage: island <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"island <command> --help\" for a command's flags. Every flag\n"+
		"can also be set as an ISLAND_* environment variable: --max-body is\n"+
		"ISLAND_MAX_BODY. A flag on the command line wins.\n")
}
