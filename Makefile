# User commands. The build itself is CMake (see CMakePresets.json).
.PHONY: all deps configure pyenv build demo demo-picture test test-cpp test-python \
	test-python-install test-rust asan abi-check abi-update bench bench-loader bench-report docs \
	clean fuzz tsan tidy

PY := .venv/bin/python
BUILD := build/release
# The one version source: the header's MIXCUT_VERSION_* (for the docs).
VERSION := $(shell sed -n 's/^\#define MIXCUT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' \
	include/mixcut/mixcut.h | paste -sd.)
# cargo from the PATH, else the root user's cargo home (rustup installs it there).
CARGO := $(or $(shell command -v cargo 2>/dev/null),$(wildcard $(HOME)/.cargo/bin/cargo),\
	$(wildcard /root/.cargo/bin/cargo))

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake --preset release >/dev/null

build: configure
	@cmake --build --preset release

# Only the library and the demo (not the tests and benchmarks): the quick start.
demo: configure
	@cmake --build --preset release --target mixcut-demo
	@$(BUILD)/examples/demo/mixcut-demo

# Regenerates docs/mixcut-demo.png, the picture in the README (no timing).
demo-picture: configure
	@cmake --build --preset release --target mixcut-demo
	@$(BUILD)/examples/demo/mixcut-demo --no-bench --size 96 -o docs/mixcut-demo.png

test: test-cpp test-python test-rust

test-cpp: pyenv build
	@ctest --preset release -j2

pyenv:
	@scripts/python-env.sh

test-python: build pyenv
	@MIXCUT_LIBRARY=$(CURDIR)/$(BUILD)/libmixcut.so $(PY) -m pytest -q tests/python

# The Rust bindings against the library just built (the README's Rust section has the
# other ways to link). Skipped, saying so, without cargo; MIXCUT_REQUIRE_RUST=1 fails instead.
test-rust: build
	@if [ -z "$(CARGO)" ]; then \
	  echo "test-rust: SKIPPED: no cargo on the PATH or in ~/.cargo/bin (install Rust with rustup)"; \
	  if [ "$(MIXCUT_REQUIRE_RUST)" = 1 ]; then echo "MIXCUT_REQUIRE_RUST=1: failing"; exit 1; fi; \
	  exit 0; fi; \
	export PATH="$(dir $(CARGO)):$$PATH" MIXCUT_LIB_DIR=$(CURDIR)/$(BUILD); \
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

# libFuzzer + ASan + UBSan (clang): every target from its seed corpus,
# FUZZ_SECONDS in all (scripts/fuzz.sh splits them).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh --checks
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# ThreadSanitizer (clang + libomp + archer) over concurrent C API calls.
tsan:
	@scripts/install-deps.sh --checks
	@scripts/tsan.sh

# The shared library's ABI against the committed baseline (capi/abi/).
abi-check: configure
	@scripts/install-deps.sh abi
	@cmake --build --preset release --target mixcut
	@scripts/abi.sh check $(BUILD)/libmixcut.so

# After a deliberate ABI change (a new major version): rewrite the baseline.
abi-update: configure
	@scripts/install-deps.sh abi
	@cmake --build --preset release --target mixcut
	@scripts/abi.sh update $(BUILD)/libmixcut.so

# clang-tidy (.clang-tidy's checks) over src/ and capi/; any warning fails.
tidy:
	@scripts/install-deps.sh --checks
	@scripts/tidy.sh

# Runs every benchmark (about 16 minutes), then prints the ratio table and the
# loader tables (bench-loader).
bench: build pyenv
	@$(BUILD)/bench/kernels_bench --benchmark_repetitions=5 --benchmark_min_time=0.1 \
	  --benchmark_report_aggregates_only=true \
	  --benchmark_out=$(BUILD)/bench/results.json --benchmark_out_format=json
	@python3 scripts/bench_report.py $(BUILD)/bench/results.json --table
	@$(MAKE) --no-print-directory bench-loader

# Where loaders run (about 4 minutes): the default thread count against one
# thread under contention, collating separate samples beside np.stack, and
# the collates inside a torch DataLoader with workers.
bench-loader: build pyenv
	@MIXCUT_LIBRARY=$(CURDIR)/$(BUILD)/libmixcut.so $(PY) bench/contention.py
	@MIXCUT_LIBRARY=$(CURDIR)/$(BUILD)/libmixcut.so $(PY) bench/python_compare.py --gather-only
	@MIXCUT_LIBRARY=$(CURDIR)/$(BUILD)/libmixcut.so $(PY) bench/dataloader.py

bench-report: pyenv
	@$(PY) -c "import matplotlib" 2>/dev/null || $(PY) -m pip install -q matplotlib
	@$(PY) scripts/bench_report.py $(BUILD)/bench/results.json

# C API (Doxygen, from the header) and Python API (pdoc, from the docstrings).
docs: configure
	@scripts/install-deps.sh docs
	@cmake --build --preset release --target mixcut
	@scripts/python-env.sh docs
	@rm -rf docs/html
	@MIXCUT_VERSION=$(VERSION) doxygen docs/Doxyfile
	@# pdoc shows mixcut.library_path's value: a relative path, said on purpose.
	@MIXCUT_LIBRARY=$(BUILD)/libmixcut.so PDOC_DISPLAY_ENV_VARS=1 PYTHONPATH=bindings/python \
	  $(PY) -m pdoc --no-show-source -o docs/html/python mixcut
	@echo "$(CURDIR)/docs/html/index.html"
	@echo "$(CURDIR)/docs/html/python/mixcut.html"

clean:
	rm -rf build
