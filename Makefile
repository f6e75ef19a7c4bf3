# taskly's two commands are `make run` and `make test`; `make bench` runs the benchmarks and
# `make fuzz` the fuzz targets.
# Each first installs the Debian packages it needs (as root, with apt-get), so a fresh Debian 12
# machine needs nothing else.

JOBS ?= $(shell nproc)
DEPS := cmake g++ make pkg-config git libgtest-dev libgmock-dev libbenchmark-dev \
        libabsl-dev tzdata libtbb-dev libsqlite3-dev nlohmann-json3-dev \
        libcpp-httplib-dev libcli11-dev libspdlog-dev prometheus-cpp-dev \
        redis-server libhiredis-dev libboost1.81-dev zlib1g-dev
DEPS_CHECK := dpkg-query -W -f='$${Status}\n' $(DEPS) 2>/dev/null | grep -c 'install ok installed'

.PHONY: all deps build run test test-default test-asan test-tsan test-fuzz fuzz fuzz-deps bench \
        format clean

all: build

deps:
	@if [ "$$($(DEPS_CHECK))" -ne "$(words $(DEPS))" ]; then \
	  echo "taskly: installing missing Debian packages"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "taskly: run as root, or install: $(DEPS)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS) >/dev/null; \
	fi

build: deps
	cmake --preset default >/dev/null
	cmake --build --preset default -j $(JOBS)

# The server on the embedded SQLite store in ./taskly-data (ARGS adds flags: ARGS="--allow-exec").
run: deps
	cmake --preset default >/dev/null
	cmake --build --preset default -j $(JOBS) --target taskly_cli
	./build/default/bin/taskly server $(ARGS)

test: test-default test-asan test-tsan test-fuzz

test-default: build
	ctest --preset default

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

test-tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan

# The fuzz targets (tests/fuzz) over their checked-in corpora, plus a short run each.
test-fuzz: deps fuzz-deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	ctest --preset fuzz

# The compiler and library the fuzz targets need (Debian packages), only for `make fuzz` and
# `make test-fuzz`.
FUZZ_DEPS := clang-16 libfuzzer-16-dev

fuzz-deps:
	@if [ "$$(dpkg-query -W -f='$${Status}\n' $(FUZZ_DEPS) 2>/dev/null | grep -c 'install ok installed')" \
	     -ne "$(words $(FUZZ_DEPS))" ]; then \
	  echo "taskly: installing the fuzzing toolchain"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "taskly: run as root, or install: $(FUZZ_DEPS)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FUZZ_DEPS) >/dev/null; \
	fi

# Each fuzz target for FUZZ_SECONDS over its corpus (tests/fuzz/corpus/<target>). New inputs go to
# build/fuzz/fuzz-runs/<target>/new, crashes to build/fuzz/fuzz-runs/<target>/crashes; fails
# if any target crashed (all of them run).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := cron_fuzz json_codec_fuzz http_request_fuzz stored_rows_fuzz

fuzz: deps fuzz-deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  echo "taskly: fuzzing $$t for $(FUZZ_SECONDS)s"; \
	  ./tests/fuzz/run_fuzzer.sh build/fuzz/bin/$$t tests/fuzz/corpus/$$t \
	    build/fuzz/fuzz-runs/$$t $(FUZZ_SECONDS) || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "taskly: crashed:$$failed (inputs in build/fuzz/fuzz-runs/<target>/crashes)"; exit 1; \
	fi

# The peers the benchmarks run against (Debian packages; no service is started on install).
BENCH_DEPS := beanstalkd

bench: build
	@if ! dpkg-query -W -f='$${Status}\n' $(BENCH_DEPS) 2>/dev/null | grep -q 'install ok installed'; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_DEPS) >/dev/null; \
	fi
	./bench/run.sh build/default

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build
