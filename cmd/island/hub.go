package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
)

// shutdownGrace is how long the hub may take to finish the requests in
// flight when it is told to stop.
const shutdownGrace = 15 * time.Second

func hubCommand() command {
	return command{name: "hub", summary: "run the hub that edges post observations to", run: runHub}
}

// runHub serves the hub until ctx is cancelled (SIGINT or SIGTERM), then
// shuts it down gracefully.
func runHub(ctx context.Context, args []string, env *environment) error {
	fs := newFlagSet("hub", "Run the Island hub: it stores the batches that edge nodes post\n"+
		"and fuses them into tracks. It stops gracefully on SIGINT or SIGTERM.", env)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	lensFile := fs.String("lens", "", "lens file to load at start, such as testdata/fixtures/lens.json")
	maxBody := fs.Int64("max-body", hub.DefaultMaxBody, "largest request body, in bytes")
	maxRunMembers := fs.Int("max-run-members", hub.DefaultMaxRunMembers,
		"most track members and unmatched keys the fusion runs kept may hold; oldest go first")
	logLevel := fs.String("log-level", "info", "least level logged: debug, info, warn or error")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	log, err := newLogger(env.stderr, *logLevel)
	if err != nil {
		return err
	}
	if *maxBody <= 0 {
		return fmt.Errorf("--max-body %d: must be a positive number of bytes: %w", *maxBody, errUsage)
	}
	if *maxRunMembers <= 0 {
		return fmt.Errorf("--max-run-members %d: must be a positive number of keys: %w",
			*maxRunMembers, errUsage)
	}
	lens, err := loadLens(*lensFile)
	if err != nil {
		return err
	}
	srv := hub.New(hub.Config{Lens: lens, MaxBody: *maxBody, MaxRunMembers: *maxRunMembers,
		Logger: log})
	if err := srv.Start(*addr); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "island hub listening on %s (lens: %s)\n", srv.URL(), lensName(lens))
	<-ctx.Done()
	log.Info("stopping: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("stop the hub: %w", err)
	}
	log.Info("stopped")
	return nil
}

// loadLens reads and validates the lens file, or returns nil for no file.
func loadLens(path string) (*island.Lens, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--lens: %w", err)
	}
	l, err := island.ParseLens(data)
	if err != nil {
		return nil, fmt.Errorf("--lens %s: %w", path, err)
	}
	return l, nil
}

func lensName(l *island.Lens) string {
	if l == nil {
		return "none; PUT one to /lens before running fusion"
	}
	return strings.TrimSpace(l.Name + " " + l.Version)
}
