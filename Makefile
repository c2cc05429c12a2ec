# hotplugsim — see README.md
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO ?= go

.PHONY: build test lint bench run

build:
	$(GO) build ./...
	cd bench && $(GO) build ./...

# go vet + every test of the main module and of the benchmark module (hash agreement).
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	cd bench && $(GO) vet ./... && $(GO) test -count=1 ./...

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

# Engine micro-benchmarks, then the peer comparison table (des vs simgo, godes, callback floor).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./des
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...
	cd bench && $(GO) run ./cmd/peerbench

# The main job. Until the scenario sweep exists: the engine demo sweep (exit 1 = race found).
run:
	$(GO) run ./cmd/desrun demo --seeds 1:2000 --strategy random:2us; test $$? -le 1
