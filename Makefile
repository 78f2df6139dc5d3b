# The two quick-start commands: `make demo` and `make test`. Both install what they need.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build demo test chaos fuzz fuzz-smoke format format-check lint bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/payedge demo

test: build format-check fuzz-smoke
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

# libFuzzer (clang, ASan+UBSan) on the parsers that face the network: a few seconds each in
# `make test`, FUZZ_SECONDS (default 60) each in `make fuzz`.
fuzz-smoke: deps
	scripts/fuzz.sh build
	scripts/fuzz.sh run 3

fuzz: deps
	scripts/fuzz.sh build
	scripts/fuzz.sh run $${FUZZ_SECONDS:-60}

chaos: build
	PAYEDGE_CHAOS_ORDERS=$${PAYEDGE_CHAOS_ORDERS:-3000} PAYEDGE_CHAOS_CLIENTS=$${PAYEDGE_CHAOS_CLIENTS:-24} \
	  $(BUILD)/tests/payedge_chaos_tests

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

format-check:
	@scripts/format-check.sh

lint: $(BUILD)/CMakeCache.txt
	run-clang-tidy -p $(BUILD) -quiet 'src/.*' 2>/dev/null || clang-tidy -p $(BUILD) $$(git ls-files 'src/*.cpp')

bench: build
	$(BUILD)/bench/price_bench
	$(BUILD)/bench/toss_client_bench --benchmark_min_time=3

# `payedge logs` against jq and `wc -l` on a generated 1 GiB log kept in /tmp (docs/PERFORMANCE.md).
.PHONY: bench-logs
bench-logs: build
	bench/logs_bench.sh $(BUILD)/payedge

clean:
	rm -rf $(BUILD) build-fuzz
