# User commands. The build itself is CMake (see CMakePresets.json).
.PHONY: all deps build demo test test-cpp test-python asan bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release

demo: build
	@build/release/examples/demo/mixcut-demo

test-cpp: build
	@ctest --preset release

test: test-cpp

# ASan + UBSan over the whole C++ suite.
asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan

clean:
	rm -rf build
