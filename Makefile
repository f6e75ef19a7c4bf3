# taskly's two commands are `make run` and `make test`; `make bench` runs the benchmarks.
# Each first installs the Debian packages it needs (as root, with apt-get), so a fresh Debian 12
# machine needs nothing else.

JOBS ?= $(shell nproc)
DEPS := cmake g++ make pkg-config git libgtest-dev libgmock-dev libbenchmark-dev \
        libabsl-dev tzdata libtbb-dev libsqlite3-dev nlohmann-json3-dev \
        libcpp-httplib-dev libcli11-dev libspdlog-dev prometheus-cpp-dev \
        redis-server libhiredis-dev libboost1.81-dev zlib1g-dev
DEPS_CHECK := dpkg-query -W -f='$${Status}\n' $(DEPS) 2>/dev/null | grep -c 'install ok installed'

.PHONY: all deps build run test test-default test-asan test-tsan bench format clean

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

test: test-default test-asan test-tsan

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
