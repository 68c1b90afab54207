#!/usr/bin/env bash
# Runs fuzz targets with cargo-fuzz (libFuzzer + AddressSanitizer) and prints one line of figures
# per target: executions, coverage (edges), features, corpus size, peak RSS, outcome.
#
#   FUZZ_SECONDS=600 FUZZ_JOBS=1 bash fuzz/run.sh [target...]   (default: every target)
#   FUZZ_BUILD=0 ...   runs the binaries already built (e.g. a second batch after the first)
#   FUZZ_QUICK_BUILD=1 ...   CI's build: opt-level 1 and line tables only (see below)
#
# Limits per input: 10 s (-timeout) and 2048 MB (-rss_limit_mb); a crash, a timeout or an
# out-of-memory stops that target, leaves the input in fuzz/artifacts/<target>/, and makes the
# script exit 1. Each target grows its own working corpus in fuzz/target/corpus/<target>/,
# seeded from the committed fuzz/corpus/<target>/ (which is never written to).
#
# One `cargo fuzz build` builds every target (release, debug assertions and overflow checks on,
# AddressSanitizer); the runs then start the binaries directly, so no run rebuilds anything.
# Build time (CI runs this on a clean clone, see docs/reliability.md): 16 codegen units
# instead of cargo-fuzz's 1, and SQLite's C at -O1 (CFLAGS), cut the build without changing
# what is instrumented.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${FUZZ_SECONDS:-600}"
jobs="${FUZZ_JOBS:-1}"
export PATH="$(bash "$here/install-tools.sh"):$PATH"
# cargo-fuzz passes -Zsanitizer and friends to rustc; stable rustc accepts them with this.
export RUSTC_BOOTSTRAP=1
export CFLAGS="${CFLAGS:--O1}"
build_flags=(--fuzz-dir . --codegen-units 16)
# CI builds from scratch for a 30 s run per target: LLVM's -O3 passes and full debug info cost
# more build time than they give back in executions. Same instrumentation and assertions.
if [ "${FUZZ_QUICK_BUILD:-0}" = 1 ]; then
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
fi
bin="$here/target/x86_64-unknown-linux-gnu/release"
cd "$here"
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list --fuzz-dir .); fi

start=$(date +%s)
# One build for every target (cargo fuzz build takes one target or all of them).
if [ "${FUZZ_BUILD:-1}" != 0 ]; then
    if [ "$#" -eq 1 ]; then cargo fuzz build "${build_flags[@]}" "$1" >&2; else cargo fuzz build "${build_flags[@]}" >&2; fi
fi
built=$(date +%s)
echo "fuzz build: $((built - start)) s" >&2

mkdir -p target/logs
run_one() {
    local t="$1"
    mkdir -p "target/corpus/$t" "corpus/$t" "artifacts/$t"
    local status=0
    # Every crash ever found is replayed first, as part of the starting corpus (libFuzzer only
    # writes new inputs to the first folder, so the committed ones stay untouched).
    local regressions=""
    if [ -d "regressions/$t" ]; then regressions="regressions/$t"; fi
    "$bin/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "target/corpus/$t" "corpus/$t" $regressions >"target/logs/$t.log" 2>&1 || status=$?
    local execs cov ft corp rss
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "target/logs/$t.log" | tail -1 | grep -o '[0-9]*$' || true)
    rss=$(grep -o 'stat::peak_rss_mb: [0-9]*' "target/logs/$t.log" | tail -1 | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]*' "target/logs/$t.log" | tail -1 | grep -o '[0-9]*$' || true)
    ft=$(grep -o 'ft: [0-9]*' "target/logs/$t.log" | tail -1 | grep -o '[0-9]*$' || true)
    corp=$(grep -o 'corp: [0-9]*' "target/logs/$t.log" | tail -1 | grep -o '[0-9]*$' || true)
    local outcome="ok"
    if [ "$status" -ne 0 ]; then
        outcome="FAILED (exit $status; see fuzz/target/logs/$t.log and fuzz/artifacts/$t/)"
        grep -E 'ERROR: libFuzzer|SUMMARY|panicked at|deadly signal|timeout|out-of-memory' "target/logs/$t.log" | head -5 >&2 || true
    fi
    printf '%-16s %5ss  execs %10s  cov %6s  ft %7s  corpus %5s  rss %5s MB  %s\n' \
        "$t" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$outcome" | tee "target/logs/$t.summary"
    [ "$status" -eq 0 ]
}

failed=0
pids=()
names=()
for t in "${targets[@]}"; do
    run_one "$t" &
    pids+=($!)
    names+=("$t")
    if [ "${#pids[@]}" -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
        names=("${names[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
echo "fuzz: ${#targets[@]} targets x ${seconds} s, build $((built - start)) s, total $(( $(date +%s) - start )) s" >&2
exit "$failed"
