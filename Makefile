# Berth build and test entry points. CI runs `make test` via .ci/run.

GOFLAGS ?= -buildvcs=false
export GOFLAGS

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
TESTFLAGS ?= -count=1 -timeout 40m

# Targets run in the order listed; test's steps must not interleave.
.NOTPARALLEL:
.PHONY: deps build run test vet unit fuzz bench lint

deps:
	bash .ci/deps.sh

build:
	$(GO) build -o bin/berth ./cmd/berth

run: deps build
	./bin/berth dev --hosts 3

test: deps vet unit fuzz

vet:
	$(GO) vet ./...

unit:
	$(GO) test $(TESTFLAGS) ./...

# Runs every Fuzz* function in the module for FUZZTIME each.
fuzz:
	FUZZTIME=$(FUZZTIME) bash .ci/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchtime=$(BENCHTIME) ./...

lint: vet
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
