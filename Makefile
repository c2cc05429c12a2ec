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

# Engine micro-benchmarks, one default-scenario run (allocations per run), the sweep at -j 1, 2,
# 4, ... cores (runs/s, efficiency per worker, allocations per run, GC cycles per 10,000 runs),
# the peer comparison table (des vs simgo, godes, callback floor), then the exploration benchmark
# (every strategy on SCTBench ports and kernel-style races).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./des
	$(GO) test -run '^$$' -bench DefaultRun -benchmem ./workloads/amdgpuunplug
	$(GO) test -run '^$$' -bench Sweep -benchtime 3x ./cmd/desrun
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...
	cd bench && $(GO) run ./cmd/peerbench
	cd bench && $(GO) run ./cmd/explorebench

# The main job: a sweep of the default scenario with its default policy (amdgpu-unplug v6 once
# registered; until then the first registered scenario, see 'desrun list'). Exit 1 = race found.
run:
	$(GO) run ./cmd/desrun sweep --seeds 1:10000; test $$? -le 1
