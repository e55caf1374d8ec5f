package main

import (
	"context"
	"fmt"

	"github.com/island-sensors/island/chaos"
)

func proxyCommand() command {
	return command{name: "proxy", summary: "run the chaos proxy and its toxiproxy-compatible API",
		run: runProxy}
}

// runProxy serves the chaos proxy's API until ctx is cancelled (SIGINT or
// SIGTERM), then stops every proxy.
func runProxy(ctx context.Context, args []string, env *environment) error {
	fs := newFlagSet("proxy", "Run the chaos proxy: a toxiproxy-compatible API server with\n"+
		"Island's toxics (schedule, reset_after, http_status) registered, so that\n"+
		"toxiproxy-cli can drive it. Fault counters are at GET /island/counters.\n"+
		"It stops on SIGINT or SIGTERM.", env)
	api := fs.String("api", "127.0.0.1:8474", "address of the API, host:port; loopback "+
		"unless --allow-remote")
	allowRemote := fs.Bool("allow-remote", false, "let --api bind a non-loopback address; "+
		"the API has no authentication")
	config := fs.String("config", "", "scenario file of proxies and faults to apply at start")
	seed := fs.Int64("seed", 0, "seed of every random choice; 0 picks one and prints it")
	logLevel := fs.String("log-level", "info", "least level logged: debug, info, warn or error")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	log, err := newLogger(env.stderr, *logLevel)
	if err != nil {
		return err
	}
	if !*allowRemote {
		if err := chaos.CheckLoopback(*api); err != nil {
			return fmt.Errorf("--api: %w (--allow-remote permits it): %w", err, errUsage)
		}
	}
	srv := chaos.New(chaos.Options{Logger: log, Seed: *seed, AllowRemoteAPI: *allowRemote})
	defer srv.Close()
	if err := applyConfig(srv, *config); err != nil {
		return err
	}
	if err := srv.ListenAPI(*api); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "island proxy API listening on %s (seed %d)\n",
		srv.APIURL(), srv.Seed())
	<-ctx.Done()
	log.Info("stopping the proxies")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("stop the proxy: %w", err)
	}
	return nil
}

// applyConfig applies the scenario file, if one is named.
func applyConfig(srv *chaos.Server, path string) error {
	if path == "" {
		return nil
	}
	sc, err := chaos.LoadScenario(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	if err := srv.Apply(sc); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	return nil
}
