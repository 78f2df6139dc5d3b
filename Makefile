# The two quick-start commands: `make demo` and `make test`. Both install what they need.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build demo test chaos fuzz fuzz-smoke format format-check lint bench clean asan-test tsan test-toss-live

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
	$(MAKE) --no-print-directory asan-test

# Sanitizer builds in their own folders: `make asan-test` (part of `make test`) runs the
# pure-logic, store-contract, alert, logs and slo suites under ASan+UBSan; `make tsan` runs the
# black-box and chaos tests against a TSan-built binary (the I/O thread, the store pool and the
# alert thread share state). TSan is not in `make test`: its build alone takes longer than the
# rest of the suite (docs/PERFORMANCE.md, "make test").
# -O1 -g1 (line tables): half the compile time of RelWithDebInfo, stack traces still name lines.
# Warnings are the plain build's job (-Werror there), not the sanitizer builds'.
SAN_FLAGS = -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" -DCMAKE_C_FLAGS_SANITIZE="-O1 -g1" \
  -DPAYEDGE_BUILD_BENCH=OFF -DPAYEDGE_WERROR=OFF
ASAN_SUITES = payedge_unit_tests payedge_store_tests payedge_alert_tests payedge_logs_tests payedge_slo_tests
asan-test: deps
	cmake -S . -B build-asan $(SAN_FLAGS) -DPAYEDGE_SANITIZE=address,undefined >/dev/null
	cmake --build build-asan -j $(JOBS) --target payedge $(ASAN_SUITES)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 600 -L '^(unit|store|store-pg|alert|logs|slo)$$'

tsan: deps
	cmake -S . -B build-tsan $(SAN_FLAGS) -DPAYEDGE_SANITIZE=thread >/dev/null
	cmake --build build-tsan -j $(JOBS) --target payedge payedge_integration_tests payedge_chaos_tests
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -L 'integration|chaos'

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

# Black-box checks against the real https://api.tosspayments.com with TOSS_TEST_SECRET_KEY
# (a test_ key); without the key or the network it says so and runs nothing. Not in `make test`.
test-toss-live:
	scripts/toss-live-test.sh

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

format-check:
	@scripts/format-check.sh

# clang-tidy 16 (Debian 12's newest) reads GCC's compile commands: it spells C++23 `c++2b`,
# skips GCC-only warning flags, and needs libstdc++'s <expected>, which that header hides
# from a compiler whose __cpp_concepts is older than C++20's final value; Boost 1.74's Asio
# looks for clang's coroutines in <experimental/coroutine>, which libstdc++ does not have.
TIDY_ARGS = -extra-arg=-std=c++2b -extra-arg=-Wno-unknown-warning-option \
  -extra-arg=-U__cpp_concepts -extra-arg=-D__cpp_concepts=202002L \
  -extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1
lint: deps $(BUILD)/CMakeCache.txt
	run-clang-tidy-16 -clang-tidy-binary clang-tidy-16 -p $(BUILD) -j $(JOBS) -quiet $(TIDY_ARGS) '$(CURDIR)/src/.*'

bench: build
	$(BUILD)/bench/price_bench
	$(BUILD)/bench/mask_bench
	$(BUILD)/bench/toss_client_bench --benchmark_min_time=3

# The confirm path under wrk (issue 15): /healthz, the simulator alone, new purchases on SQLite
# and PostgreSQL (one and two serve), replays, the Express forwarder of bench/peer, 1,000 in
# flight at 800 ms and the overhead at half load, in one run with one summary table
# (docs/PERFORMANCE.md). DURATION (10 s per run) and CONNECTIONS (32) may be overridden.
.PHONY: bench-confirm profile-confirm
bench-confirm: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target payedge
	bench/confirm_load.sh

# perf record -g on `serve` during the SQLite new-purchase load; reports in $(BUILD)/profile-confirm.
profile-confirm: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target payedge
	bench/confirm_load.sh --only sqlite --profile $(BUILD)/profile-confirm

# `payedge logs` against jq and `wc -l` on a generated 1 GiB log kept in /tmp (docs/PERFORMANCE.md).
.PHONY: bench-logs
bench-logs: build
	bench/logs_bench.sh $(BUILD)/payedge

clean:
	rm -rf $(BUILD) build-fuzz

# The Debian package (CPack DEB): the binary, /etc/payedge/payedge.toml (a conffile), the
# systemd unit, the docs, a `payedge` system user and /var/lib/payedge. Written to $(BUILD).
.PHONY: package
package: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target payedge
	cd $(BUILD) && cpack -G DEB
