# Island. `make chaos` runs the robustness suites; `make test` runs the tests.
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test xmllint lint bench chaos clean

all: build test

build:
	$(GO) build -o bin/island ./cmd/island

test: xmllint
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# A test validates the JUnit report against its schema with xmllint, which
# Debian ships in libxml2-utils; install it where it is missing.
xmllint:
	@command -v xmllint >/dev/null 2>&1 || { \
	  echo "installing libxml2-utils for xmllint"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  command -v apt-get >/dev/null 2>&1 || { \
	    echo "xmllint is missing and apt-get is not here: install libxml2 (xmllint)"; exit 1; }; \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq libxml2-utils >/dev/null; }

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Runs every robustness suite and writes the JUnit and JSON reports; exits
# non-zero when a case fails (1) or the harness broke (2).
chaos: build
	./bin/island chaos --junit reports/junit.xml --json reports/report.json

# Fuzzes each target for FUZZTIME: make fuzz FUZZTIME=20s. What a target
# finds is written to its testdata/fuzz folder and fails the run. Go 1.26
# can fail a run that found nothing with "context deadline exceeded" as its
# time runs out, a race in the fuzzing coordinator; such a run passes here.
FUZZTIME ?= 15s
FUZZMINIMIZETIME ?= 5s
define fuzz_one
	@echo "fuzz $(1) in $(2) for $(FUZZTIME)"; \
	out=$$($(GO) test -run '^$$' -fuzz '^$(1)$$' -fuzztime $(FUZZTIME) \
	  -fuzzminimizetime $(FUZZMINIMIZETIME) $(2) 2>&1); rc=$$?; \
	echo "$$out" | grep -v '^fuzz: elapsed' ; echo "$$out" | grep '^fuzz: elapsed' | tail -n 1; \
	if [ $$rc -ne 0 ]; then \
	  if echo "$$out" | grep -q 'Failing input written' || \
	    ! echo "$$out" | grep -qx '    context deadline exceeded'; then exit 1; fi; \
	  echo "$(1): stopped late at the time limit, having found nothing"; \
	fi
endef

.PHONY: fuzz
fuzz:
	$(call fuzz_one,FuzzParseLens,.)
	$(call fuzz_one,FuzzBatchValidate,.)
	$(call fuzz_one,FuzzDecodeBatch,./hub)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
