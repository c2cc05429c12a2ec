# hotplugsim — see README.md
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO ?= go

.PHONY: build test fuzz-smoke lint bench run sweepbench-static figures pgo

build:
	$(GO) build ./...
	cd bench && $(GO) build ./...

# Every reader of a file desrun takes (Spec, tape, metrics, results, run file, Chrome trace)
# has a fuzz target; 'go test' runs its seed corpus (testdata/fuzz keeps every crasher found),
# and fuzz-smoke fuzzes each for FUZZTIME.
FUZZ := ./workloads:FuzzDecodeSpec ./des:FuzzDecodeTape ./des/metrics:FuzzHistogramJSON \
	./cmd/desrun/cli:FuzzResults ./cmd/desrun/cli:FuzzRunFile ./reports:FuzzChromeTrace
FUZZTIME ?= 2s

# go vet + every test of the main module and of the benchmark module (hash agreement), and a
# short fuzz of every input reader.
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) fuzz-smoke
	cd bench && $(GO) vet ./... && $(GO) test -count=1 ./...

# A bare "context deadline exceeded" with no failing input written is a race in Go's fuzzing
# coordinator at the end of -fuzztime on a loaded machine, not a finding: it passes if the
# target's corpus (with anything the run added) still passes.
fuzz-smoke:
	@for t in $(FUZZ); do \
		pkg="$${t%%:*}"; name="$${t#*:}"; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) "$$pkg" 2>&1) && continue; \
		if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
			$(GO) test -count=1 -run "^$$name$$" "$$pkg" >/dev/null && continue; \
		fi; \
		echo "$$out" | grep -v '^fuzz: elapsed'; exit 1; \
	done

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

# Engine micro-benchmarks, one default-scenario run (allocations per run; built with desrun's
# profile, as desrun is), the sweep at -j 1, 2,
# 4, ... cores (runs/s, efficiency per worker, allocations per run, GC cycles per 10,000 runs),
# the peer comparison table (des vs simgo, godes, callback floor), then the exploration benchmark
# (every strategy on SCTBench ports and kernel-style races).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./des
	$(GO) test -pgo=$(CURDIR)/cmd/desrun/default.pgo -run '^$$' -bench DefaultRun -benchmem ./workloads/amdgpuunplug
	$(GO) test -run '^$$' -bench Sweep -benchtime 3x ./cmd/desrun
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...
	cd bench && $(GO) run ./cmd/peerbench
	cd bench && $(GO) run ./cmd/explorebench

# A static binary of the sweep benchmark (runs/s at -j 1, 2, 4, ... cores, efficiency per
# worker, allocations per run, GC cycles per 10,000 runs) for another machine, e.g. 16 cores:
# copy sweepbench there and run ./sweepbench -test.run '^$$' -test.bench Sweep -test.benchtime 3x
sweepbench-static:
	CGO_ENABLED=0 $(GO) test -c -o sweepbench ./cmd/desrun

# desrun is built with profile-guided optimisation: go build, go install and go test of
# ./cmd/desrun read cmd/desrun/default.pgo, the CPU profiles of sweeps of every scenario merged
# (the default scenario's 60,000 seeds weigh most; every other scenario 2,000). It cuts a run's
# instructions by 8-9% and adds ~12% to its L1 instruction misses (README, Sweeps). Redraw it
# after large changes to the engine or the model: a stale profile still builds, it only helps less.
pgo:
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(GO) build -o "$$d/desrun" ./cmd/desrun; \
	"$$d/desrun" sweep --seeds 1:60000 -j 1 --cpuprofile "$$d/default.prof" >/dev/null || test $$? -le 1; \
	for sc in $$("$$d/desrun" list | awk '/^Strategies:/{exit} /^  [a-z0-9-]+ /{print $$1}'); do \
		echo "profiling $$sc"; \
		"$$d/desrun" sweep --scenario "$$sc" --seeds 1:2000 -j 1 --cpuprofile "$$d/$$sc.prof" >/dev/null || test $$? -le 1; \
	done; \
	$(GO) tool pprof -proto "$$d"/*.prof > "$$d/merged.pgo"; \
	mv "$$d/merged.pgo" cmd/desrun/default.pgo

# The main job: a sweep of the default scenario with its default policy (amdgpu-unplug v6 once
# registered; until then the first registered scenario, see 'desrun list'). Exit 1 = race found.
# RUN_SEEDS makes it shorter (CI runs it as the README does, on a few seeds).
RUN_SEEDS ?= 1:10000
run:
	$(GO) run ./cmd/desrun sweep --seeds $(RUN_SEEDS); test $$? -le 1

# Redraw README.md's figures by running the README commands that make them (a test fails when
# a figure no longer matches what its command draws).
figures:
	$(GO) test -count=1 -run '^TestReadmeFigures$$' ./cmd/desrun -update-figures
