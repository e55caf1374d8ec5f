package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// newFlagSet returns a flag set for a subcommand whose usage text starts with
// synopsis and lists every flag with its environment variable.
func newFlagSet(name, synopsis string, env *environment) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: island %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(out, "  --%s (%s)\n    \t%s", f.Name, envName(f.Name), f.Usage)
			if !slices.Contains([]string{"", "false", "0", "0s"}, f.DefValue) {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(out)
		})
	}
	return fs
}

// parseFlags parses args, then gives every flag that the command line left
// unset the value of its ISLAND_* environment variable, if that is set.
// --help prints the usage to stdout and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string, env *environment) error {
	// The flag package prints the usage itself, on --help and on a bad
	// flag alike; hold it so that help goes to stdout and errors to stderr.
	var held bytes.Buffer
	fs.SetOutput(&held)
	err := fs.Parse(args)
	fs.SetOutput(env.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		env.stdout.Write(held.Bytes())
		return flag.ErrHelp
	case err != nil:
		env.stderr.Write(held.Bytes())
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "island %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		v := env.getenv(envName(f.Name))
		if set[f.Name] || v == "" || bad != nil {
			return
		}
		if err := f.Value.Set(v); err != nil {
			bad = fmt.Errorf("%s=%q: %v", envName(f.Name), v, err)
		}
	})
	return bad
}

// envName returns the environment variable of a flag: max-body is
// ISLAND_MAX_BODY.
func envName(flagName string) string {
	return "ISLAND_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newLogger returns a text logger on w at the level named by a --log-level
// flag, or a usage error that lists the levels.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error: %w", level, errUsage)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
