# Keystead: `make demo` and `make test` work on a fresh machine (Rust toolchain present).
CARGO ?= cargo
STRESS_RUNS ?= 1000

.PHONY: demo test test-rust lint stress bench clean

demo:
	$(CARGO) build --release -p keystead-cli
	bash examples/cli-walkthrough.sh target/release/keystead

test: test-rust

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

stress:
	KEYSTEAD_CRASH_RUNS=$(STRESS_RUNS) $(CARGO) test --release -p keystead-core --test crash_safety -- --nocapture

bench:
	$(CARGO) bench -p keystead-bench

clean:
	$(CARGO) clean
