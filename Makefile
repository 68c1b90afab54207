# Keystead: `make demo` and `make test` work on a fresh machine (Rust toolchain, Python 3 and
# Node.js present, as on the project's machines); each step installs what it needs itself.
CARGO ?= cargo
STRESS_RUNS ?= 1000

.PHONY: demo test test-hygiene miri fuzz fuzz-ci fuzz-corpus fuzz-regressions deny test-rust test-c test-python test-node test-system-openssl lint stress install bench clean

demo:
	$(CARGO) build --release -p keystead-cli
	bash examples/cli-walkthrough.sh target/release/keystead
	bash examples/ecommerce/run.sh

test: test-rust test-c test-python test-node test-hygiene
	bash server/test.sh
	bash tests/cross-binding/run.sh
	bash tests/bad-input/run.sh

# The Python and Node crates are built (in release) and tested by their own suites below.
RUST_PACKAGES = --workspace --exclude keystead-python --exclude keystead-node

# Libraries, binaries, integration tests, examples and doctests (benchmarks are built by
# `make bench` and checked by `make lint`).
test-rust:
	$(CARGO) test $(RUST_PACKAGES)

test-c:
	bash bindings/c/test.sh

test-python:
	bash python/test.sh

test-node:
	bash node/test.sh

# The core linked to the system's OpenSSL instead of the vendored build (ML-DSA needs 3.5+).
test-system-openssl:
	CARGO_TARGET_DIR=target/system-openssl $(CARGO) test -p keystead-core --no-default-features

# Secret hygiene (docs/reliability.md): no ==/!= on MACs, tags, hashes or signatures in
# core/src (with its self-test). The store/error/Debug scan is core/tests/secret_hygiene.rs,
# part of test-rust.
test-hygiene:
	python3 tests/hygiene/ct_compare.py --self-test
	python3 tests/hygiene/ct_compare.py .
	bash tests/hygiene/deny.sh

# Fuzzing (cargo-fuzz, libFuzzer, ASan): every target for FUZZ_SECONDS each, FUZZ_JOBS at
# a time; installs cargo-fuzz into target/tools. Crashes land in fuzz/artifacts/<target>/.
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) bash fuzz/run.sh $(FUZZ_TARGETS)

# CI's fuzzing step (.ci/run): every target for 30 s, two at a time, after one build.
fuzz-ci:
	FUZZ_QUICK_BUILD=1 FUZZ_SECONDS=30 FUZZ_JOBS=2 bash fuzz/run.sh

# Rewrites the committed seed corpora (fuzz/corpus/<target>/seed-*).
fuzz-corpus:
	cd fuzz && $(CARGO) run --example gen_corpus -- corpus

# Replays fuzz/regressions/* and fuzz/corpus/* through the harnesses in a plain cargo test.
fuzz-regressions:
	$(CARGO) test --manifest-path fuzz/Cargo.toml

# cargo-deny: advisories (when the RustSec database is reachable), licences, bans, sources.
deny:
	bash tests/hygiene/deny.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	bash tests/hygiene/deny.sh

stress:
	KEYSTEAD_CRASH_RUNS=$(STRESS_RUNS) $(CARGO) test --release -p keystead-core --test crash_safety -- --nocapture
	$(CARGO) test --release -p keystead-core --test envelope stress -- --ignored --nocapture
	KEYSTEAD_CONC_OPS=10000 KEYSTEAD_CONC_THREAD_OPS=2000 $(CARGO) test --release -p keystead-core --test concurrency_load -- --nocapture --test-threads=1

# Miri (undefined-behaviour interpreter) over the core's pure-Rust unit tests: policy language,
# conditions, principals, grants' constraint logic, encryption-context canonicalization, audit
# canonical JSON, key identifiers. Tests that call OpenSSL (FFI, which Miri cannot run), need
# the file system (proptest's persistence) or take over 10 minutes under Miri (the reference
# evaluator's decision table) are skipped by name. Installs the nightly
# miri and rust-src components with rustup; not in CI (see docs/reliability.md).
MIRI_SKIP = --skip tokens_round_trip_and_reject_forgeries --skip compiled_evaluator_agrees_with_reference \
	--skip decision_table_through_the_reference
miri:
	rustup component add miri rust-src --toolchain nightly
	CARGO_TARGET_DIR=target/miri $(CARGO) +nightly miri test -p keystead-core --no-default-features --lib -- \
		policy:: crypto::context audit::canonical keys::id $(MIRI_SKIP)

# Installs the C library, header and pkg-config file under PREFIX (default /usr/local).
PREFIX ?= /usr/local
install:
	bash bindings/c/install.sh $(PREFIX)

# Keystead next to its peers (bench/README.md): installs the peers under target/, runs every
# workload in alternating rounds and writes bench/RESULTS.md (10-15 min). The criterion
# benchmarks alone: cargo bench -p keystead-bench.
bench:
	CARGO=$(CARGO) bash bench/run.sh

clean:
	$(CARGO) clean
