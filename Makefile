# Island. `make chaos` runs the robustness suites; `make test` runs the tests.
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test lint bench chaos clean

all: build test

build:
	$(GO) build -o bin/island ./cmd/island

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Runs every robustness suite and writes the JUnit and JSON reports; exits
# non-zero when a case fails (1) or the harness broke (2).
chaos: build
	./bin/island chaos --junit reports/junit.xml --json reports/report.json

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
