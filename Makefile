# Bulwark: the two commands a new user needs, and the ones a developer runs.
#   make run    install what is missing, build (Release), start the reference app on 127.0.0.1:8080
#   make test   install what is missing, build, start Redis and PostgreSQL, run every test
#   make bench  run the benchmarks and write BENCHMARKS.md
#   make soak   the reference app under a mixed load for SOAK_SECONDS (default 600), with checks
#   make fuzz   run every fuzzer for FUZZ_SECONDS (default 60)
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run build test bench soak fuzz deps clean format

deps:
	scripts/install-deps build

build: deps
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBULWARK_TESTS=OFF >/dev/null
	cmake --build build/release -j$(JOBS) --target bulwark_cli

run: build
	build/release/tools/bulwark/bulwark serve --host $(HOST) --port $(PORT)

test:
	scripts/run-tests

bench:
	scripts/run-bench

soak:
	scripts/run-soak

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzzers

format:
	find include src tests tools apps bench fuzz -name '*.[ch]pp' | xargs clang-format -i

clean:
	rm -rf build
