# hotplugsim — see README.md
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO ?= go

.PHONY: build test fuzz-smoke lint bench run

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

fuzz-smoke:
	@for t in $(FUZZ); do \
		echo "fuzz $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}" >/dev/null || \
			{ $(GO) test -count=1 -run "^$${t#*:}$$" "$${t%%:*}"; exit 1; }; \
	done

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

# Engine micro-benchmarks, then the peer comparison table (des vs simgo, godes, callback floor).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./des
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...
	cd bench && $(GO) run ./cmd/peerbench

# The main job: a sweep of the default scenario with its default policy (amdgpu-unplug v6 once
# registered; until then the first registered scenario, see 'desrun list'). Exit 1 = race found.
run:
	$(GO) run ./cmd/desrun sweep --seeds 1:10000; test $$? -le 1
