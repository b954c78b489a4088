# User commands. The build itself is CMake (see CMakePresets.json).
.PHONY: all deps pyenv build demo test test-cpp test-python test-python-install test-rust asan \
	bench bench-report docs clean fuzz tsan

PY := .venv/bin/python
# cargo from the PATH, else the root user's cargo home (rustup installs it there).
CARGO := $(or $(shell command -v cargo 2>/dev/null),$(wildcard $(HOME)/.cargo/bin/cargo),\
	$(wildcard /root/.cargo/bin/cargo))

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release

demo: build
	@build/release/examples/demo/mixcut-demo

test: test-cpp test-python test-rust

test-cpp: pyenv build
	@ctest --preset release -j2

pyenv:
	@scripts/python-env.sh

test-python: build pyenv
	@MIXCUT_LIBRARY=$(CURDIR)/build/release/libmixcut.so $(PY) -m pytest -q tests/python

# The Rust bindings against the library just built (the README's Rust section has the
# other ways to link). Skipped, saying so, without cargo; MIXCUT_REQUIRE_RUST=1 fails instead.
test-rust: build
	@if [ -z "$(CARGO)" ]; then \
	  echo "test-rust: SKIPPED: no cargo on the PATH or in ~/.cargo/bin (install Rust with rustup)"; \
	  if [ "$(MIXCUT_REQUIRE_RUST)" = 1 ]; then echo "MIXCUT_REQUIRE_RUST=1: failing"; exit 1; fi; \
	  exit 0; fi; \
	export PATH="$(dir $(CARGO)):$$PATH" MIXCUT_LIB_DIR=$(CURDIR)/build/release; \
	cd bindings/rust && cargo test --offline -q && \
	RUSTDOCFLAGS="-D warnings" cargo doc --offline --no-deps -q && \
	if cargo clippy --version >/dev/null 2>&1; then \
	  cargo clippy --offline -q --all-targets -- -D warnings; \
	else echo "test-rust: clippy not installed, lints skipped"; fi

# Slow: pip install ./bindings/python into a fresh venv, import it elsewhere.
test-python-install: deps pyenv
	@$(PY) -m pytest -q -m slow tests/python

# ASan + UBSan over the whole C++ suite.
asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan -j2

# libFuzzer + ASan + UBSan (clang), each target FUZZ_SECONDS from the seed corpus.
FUZZ_SECONDS ?= 20
fuzz:
	@scripts/install-deps.sh --checks
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# ThreadSanitizer (clang + libomp + archer) over concurrent C API calls.
tsan:
	@scripts/install-deps.sh --checks
	@scripts/tsan.sh

# Runs every benchmark (about 13 minutes), then prints the ratio table.
bench: build
	@build/release/bench/kernels_bench --benchmark_repetitions=5 --benchmark_min_time=0.1 \
	  --benchmark_report_aggregates_only=true \
	  --benchmark_out=build/release/bench/results.json --benchmark_out_format=json
	@python3 scripts/bench_report.py build/release/bench/results.json --table

bench-report: pyenv
	@$(PY) -c "import matplotlib" 2>/dev/null || $(PY) -m pip install -q matplotlib
	@$(PY) scripts/bench_report.py build/release/bench/results.json

docs:
	@command -v doxygen >/dev/null || { echo "make docs needs doxygen (apt-get install doxygen)"; exit 1; }
	@doxygen docs/Doxyfile >/dev/null && echo "$(CURDIR)/docs/html/index.html"

clean:
	rm -rf build
