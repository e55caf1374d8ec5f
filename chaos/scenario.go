package chaos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Scenario is a set of proxies and their faults, as a file holds it:
//
//	{"proxies": [{"name": "alpha", "upstream": "127.0.0.1:8080",
//	  "faults": [{"type": "schedule", "stream": "upstream",
//	              "attributes": {"action": "reset", "first": 2}}]}]}
//
// Each fault is in toxiproxy's wire form (name, type, stream, toxicity,
// attributes), so a fault that works in a file works over the API too.
type Scenario struct {
	Proxies []ProxySpec `json:"proxies"`
}

// ProxySpec is one proxy of a scenario. Listen defaults to a loopback port.
type ProxySpec struct {
	Name     string `json:"name"`
	Listen   string `json:"listen,omitempty"`
	Upstream string `json:"upstream"`
	Faults   []Spec `json:"faults,omitempty"`
}

// LoadScenario reads and validates a scenario file; unknown fields are
// errors.
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("read scenario: %w", err)
	}
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, fmt.Errorf("scenario %s is not valid JSON of proxies and faults: %w",
			path, err)
	}
	if err := sc.Validate(); err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %w", path, err)
	}
	return sc, nil
}

// Validate checks every proxy and fault of the scenario and joins what is
// wrong with each.
func (sc Scenario) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, p := range sc.Proxies {
		switch {
		case p.Name == "":
			errs = append(errs, fmt.Errorf("proxy %d has no name", i+1))
		case seen[p.Name]:
			errs = append(errs, fmt.Errorf("proxy %q appears twice", p.Name))
		}
		seen[p.Name] = true
		if p.Upstream == "" {
			errs = append(errs, fmt.Errorf("proxy %q has no upstream host:port", p.Name))
		}
		faults := map[string]bool{}
		for _, f := range p.Faults {
			c, err := check(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("proxy %q: %w", p.Name, err))
				continue
			}
			if faults[c.Name] {
				errs = append(errs, fmt.Errorf("proxy %q: fault %q appears twice", p.Name, c.Name))
			}
			faults[c.Name] = true
		}
	}
	return errors.Join(errs...)
}

// apply validates sc, makes its proxies disabled, gives them their faults,
// then enables them; on any failure it deletes what it made.
func apply(a backend, sc Scenario) (err error) {
	if err := sc.Validate(); err != nil {
		return err
	}
	var made []string
	defer func() {
		if err != nil {
			for _, name := range made {
				_ = a.deleteProxy(name)
			}
		}
	}()
	for _, p := range sc.Proxies {
		if _, err := a.createProxy(p.Name, p.Listen, p.Upstream, false); err != nil {
			return err
		}
		made = append(made, p.Name)
		for _, f := range p.Faults {
			if err := a.addFault(p.Name, f); err != nil {
				return fmt.Errorf("proxy %q: %w", p.Name, err)
			}
		}
	}
	for _, name := range made {
		if err := a.setEnabled(name, true); err != nil {
			return err
		}
	}
	return nil
}
