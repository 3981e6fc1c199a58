# Holdfast. `make run` and `make test` work on a fresh Debian 12 machine:
# they install what is missing first (scripts/install-deps, a no-op when all
# is there).
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps test-deps build daemon run test unit-test integration-test asan-test fuzz fuzz-test bench format clean package package-check test-package test-faults

all: build

deps:
	@scripts/install-deps build

test-deps:
	@scripts/install-deps test

build: deps
	@cmake -S . -B build $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)

# The daemon alone, without the unit test binaries: what the integration
# tests, the package and `make run` need.
daemon: deps
	@cmake -S . -B build $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS) --target holdfast

run: daemon
	@mkdir -p var
	@echo "holdfast: SMTP on 127.0.0.1:2525 (try: swaks --server 127.0.0.1:2525 --to alice@example.test)"
	./build/holdfast serve -c config/holdfast.toml $$([ "$$(id -u)" -eq 0 ] && echo --allow-root)

# Everything: integration tests with real peers against the release
# binary, the unit tests under ASan+UBSan, a short run of every fuzz
# target, the package. The unit tests run once, in the sanitizer build:
# compiling them a second time at -O2 would add a third to CI's cold build
# for the same checks (`make unit-test` runs them in the release build).
test: test-deps daemon
	@$(MAKE) --no-print-directory integration-test asan-test fuzz-test package-check

unit-test: build
	cd build && ctest -L unit -j $(JOBS) --output-on-failure

integration-test:
	tests/integration/run build/holdfast

asan-test:
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHOLDFAST_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -L unit -j $(JOBS) --output-on-failure
	tests/integration/run build/holdfast -k "test_shutdown and asan"

fuzz:
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOLDFAST_FUZZ=ON \
		-DCMAKE_CXX_COMPILER=clang++ >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

fuzz-test: fuzz
	tests/fuzz/run build-fuzz $(or $(FUZZ_SECONDS),15)

# A Debian package in build/ (CPack): binary, systemd unit, /etc/holdfast.
package: daemon
	cd build && cpack -G DEB

# The package's contents and unit, without installing it (part of `make test`).
package-check: package
	tests/package/run build --quick

# Installs the package into a throw-away Debian root (debootstrap, kept in
# build/pkgroot between runs) and checks what it installed.
test-package: package
	tests/package/run build

# The fault campaign at full size (crashes, a full disk, bad peers, floods,
# no file descriptors); `make test` runs its short form.
test-faults: daemon
	HOLDFAST_FAULTS=long tests/integration/run build/holdfast -k faults

bench: daemon
	bench/run $(BENCH_ARGS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
