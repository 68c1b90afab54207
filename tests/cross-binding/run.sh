#!/usr/bin/env bash
# Cross-binding matrix: what each binding writes, every binding reads, on one store.
#   messages: Rust CLI (encrypt-file), C, Python, Node; one-shot and streaming writers; every
#             reader (CLI decrypt-file whole, ranged over the whole and a middle range, C, Python,
#             Node, one-shot and streaming) opens every writer's message;
#   fields:   C, Python, Node encrypt a record's fields, each decrypts every other's (the CLI
#             has no fields command);
#   secrets:  CLI, C, Python, Node encrypt a keystead:v1: value, each decrypts every other's
#             (Python and Node through their environment start-up helpers).
# Then every reader refuses tampered input: messages with a flipped header byte, a flipped body
# byte, a truncated end, a splice of two messages; fields with a changed ciphertext, two fields
# swapped, the header field removed; secrets with a flipped character, a value made for another
# variable, one made under another encryption context.
# Run from the repository root after the binding suites (make test calls it after them): it uses
# the CLI from test-rust (target/debug/keystead), libkeystead from test-c (target/release), the
# Python venv of test-python (target/py-venv) and the Node addon of test-node.
# Ends with "cross-binding: N passed, 0 failed".
set -euo pipefail
ROOT=$(pwd)
HERE="$ROOT/tests/cross-binding"
CARGO=${CARGO:-cargo}
TARGET_DIR=$("$CARGO" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
CLI="$TARGET_DIR/debug/keystead"
LIB_DIR="$TARGET_DIR/release"
PY="${KEYSTEAD_PY_VENV:-$ROOT/target/py-venv}/bin/python"
export KEYSTEAD_NODE_PACKAGE="$ROOT/node/keystead.js"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keystead-cross.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

[[ -x $CLI ]] || "$CARGO" build -p keystead-cli --quiet
[[ -f $LIB_DIR/libkeystead.so ]] || "$CARGO" build -p keystead-ffi --release --quiet
for need in "$PY" "$ROOT/node/index.js"; do
    [[ -e $need ]] || { echo "missing $need: run make test-python and make test-node first" >&2; exit 1; }
done
gcc -std=c11 -Wall -Wextra -Werror -I"$ROOT/include" "$HERE/c_tool.c" -L"$LIB_DIR" -lkeystead -Wl,-rpath,"$LIB_DIR" \
    -o "$WORK/c_tool"

STORE="$WORK/store"
"$CLI" --store "$STORE" init >/dev/null
KEY=$("$CLI" --store "$STORE" create-key --query KeyMetadata.KeyId --output text)
CONTEXT='{"matrix":"cross-binding"}'
head -c 200003 /dev/urandom >"$WORK/plain.bin" # four 64 KiB segments, the last one partial
# Plaintext bytes 65530-131080 (inclusive): the end of segment 0, all of segment 1, the start of 2.
head -c 131081 "$WORK/plain.bin" | tail -c +65531 >"$WORK/plain-mid.bin"
cat >"$WORK/record.json" <<'EOF'
{"pk": "customer-42", "name": "Ada", "card": "4111 1111 1111 1111",
 "address": {"street": "Bahnhofstrasse 1", "city": "Zürich", "lines": [1, 2.5, true, null]}, "tier": 3}
EOF
printf 's3cr3t Zürich %s' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$WORK/secret.txt"

# Jobs: each is "KIND WHO OP IN OUT" (KIND message|fields|secret; WHO a binding, "-stream" for
# its streaming API, cli-range / cli-range-mid for ranged reads; OP seal|open). The CLI and C
# run one process per job; Python and Node run all their jobs of a phase in one process (batch).
JOBS=()
STATUS=()

# mode KIND WHO OP: the tools' mode name.
mode() {
    case $1 in
    message) [[ $2 == *-stream ]] && echo "$3-stream" || echo "$3" ;;
    *) echo "$1-$3" ;;
    esac
}

# direct KIND WHO OP IN OUT: runs one CLI or C job.
direct() {
    local kind=$1 who=$2 op=$3 in=$4 out=$5 text
    case $kind/$who/$op in
    message/cli-stream/seal) "$CLI" --store "$STORE" encrypt-file --key-id "$KEY" --encryption-context "$CONTEXT" \
        --segment-size 64KiB --in "$in" --out "$out" --no-progress ;;
    message/cli-stream/open) "$CLI" --store "$STORE" decrypt-file --encryption-context "$CONTEXT" --in "$in" \
        --out "$out" --no-progress ;;
    message/cli-range/open) "$CLI" --store "$STORE" decrypt-file --encryption-context "$CONTEXT" --in "$in" \
        --out "$out" --range 0- ;;
    message/cli-range-mid/open) "$CLI" --store "$STORE" decrypt-file --encryption-context "$CONTEXT" --in "$in" \
        --out "$out" --range 65530-131080 ;;
    secret/cli/seal) SECRET=$(cat "$in") "$CLI" --store "$STORE" encrypt-secret --key-id "$KEY" --name DB_PASSWORD \
        --encryption-context "$CONTEXT" --value-env SECRET --output text >"$out" ;;
    secret/cli/open)
        # decrypt-secret prints the plaintext and a newline; $(...) drops that newline.
        text=$(SECRET=$(cat "$in") "$CLI" --store "$STORE" decrypt-secret --name DB_PASSWORD \
            --encryption-context "$CONTEXT" --value-env SECRET --output text) && printf '%s' "$text" >"$out" ;;
    */c*/seal) "$WORK/c_tool" "$STORE" "$(mode "$kind" "$who" seal)" "$KEY" "$in" "$out" ;;
    */c*/open) "$WORK/c_tool" "$STORE" "$(mode "$kind" "$who" open)" "$in" "$out" ;;
    *) echo "no job $kind/$who/$op" >&2 && return 2 ;;
    esac
}

# error_name: the exception name in a failed CLI or C job's $WORK/stderr ("failed" if none).
error_name() {
    local name
    name=$(sed -n -e 's/^An error occurred (\([A-Za-z]*\)).*/\1/p' -e 's/^c_tool: [^:]*: \([A-Za-z_]*\):.*/\1/p' \
        "$WORK/stderr" | head -n 1)
    echo "${name:-failed}"
}

# run_jobs FIRST: runs JOBS[FIRST..] and sets STATUS[i] ("ok" or an error name) for each.
run_jobs() {
    local i k kind who op in out binding line lines
    local -A batch=()
    for ((i = $1; i < ${#JOBS[@]}; i++)); do
        read -r kind who op in out <<<"${JOBS[$i]}"
        case $who in
        python* | node*)
            binding=${who%-stream}
            line=$(mode "$kind" "$who" "$op")
            [[ $op == seal ]] && line+=$'\t'$KEY
            printf '%s\t%s\t%s\n' "$line" "$in" "$out" >>"$WORK/jobs.$binding"
            batch[$binding]+=" $i"
            ;;
        *) if direct "$kind" "$who" "$op" "$in" "$out" 2>"$WORK/stderr"; then STATUS[i]=ok; else STATUS[i]=$(error_name); fi ;;
        esac
    done
    for binding in "${!batch[@]}"; do
        case $binding in
        python) "$PY" "$HERE/py_tool.py" "$STORE" batch "$WORK/jobs.$binding" "$WORK/status.$binding" ;;
        node) node "$HERE/node_tool.mjs" "$STORE" batch "$WORK/jobs.$binding" "$WORK/status.$binding" ;;
        esac
        mapfile -t lines <"$WORK/status.$binding"
        k=0
        for i in ${batch[$binding]}; do
            STATUS[i]=${lines[k]:-missing}
            k=$((k + 1))
        done
        rm -f "$WORK/jobs.$binding" "$WORK/status.$binding"
    done
}

# same KIND READER OUT: the reader's output equals what was sealed (fields: the same JSON value).
same() {
    case $1/$2 in
    message/cli-range-mid) cmp -s "$WORK/plain-mid.bin" "$3" ;;
    message/*) cmp -s "$WORK/plain.bin" "$3" ;;
    secret/*) cmp -s "$WORK/secret.txt" "$3" ;;
    fields/*) "$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
        "$WORK/record.json" "$3" ;;
    esac
}

MESSAGE_WRITERS=(cli-stream c c-stream python python-stream node node-stream)
MESSAGE_READERS=(cli-stream cli-range cli-range-mid c c-stream python python-stream node node-stream)
# cli-range-mid does not take part in the tampering checks: a ranged read verifies only the
# segments it reads, by design, so a change in a segment it does not need (or a truncated end)
# is not its to see.
MESSAGE_REFUSERS=(cli-stream cli-range c c-stream python python-stream node node-stream)
FIELDS_BINDINGS=(c python node)
SECRET_BINDINGS=(cli c python node)

# Phase 1: every writer seals.
for w in "${MESSAGE_WRITERS[@]}"; do JOBS+=("message $w seal $WORK/plain.bin $WORK/message.$w"); done
for w in "${FIELDS_BINDINGS[@]}"; do JOBS+=("fields $w seal $WORK/record.json $WORK/fields.$w"); done
for w in "${SECRET_BINDINGS[@]}"; do JOBS+=("secret $w seal $WORK/secret.txt $WORK/secret.$w"); done
JOBS+=("message cli-stream seal $WORK/plain.bin $WORK/message.cli-stream.2") # for the splice below
run_jobs 0
SEALS=${#JOBS[@]}
for ((i = 0; i < SEALS; i++)); do
    [[ ${STATUS[i]} == ok ]] || { echo "FAILED: could not seal (${JOBS[i]}): ${STATUS[i]}" >&2 && exit 1; }
done

# Tampered inputs, made from what the CLI, C and Python wrote.
SECRET=$(cat "$WORK/secret.txt") "$CLI" --store "$STORE" encrypt-secret --key-id "$KEY" --name API_TOKEN \
    --encryption-context "$CONTEXT" --value-env SECRET --output text >"$WORK/bad-secret.other-variable"
SECRET=$(cat "$WORK/secret.txt") "$CLI" --store "$STORE" encrypt-secret --key-id "$KEY" --name DB_PASSWORD \
    --encryption-context '{"matrix":"elsewhere"}' --value-env SECRET --output text >"$WORK/bad-secret.other-context"
"$PY" - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]
def save(name, data):
    open(f"{work}/{name}", "wb").write(data)
message = open(f"{work}/message.cli-stream", "rb").read()
other = open(f"{work}/message.cli-stream.2", "rb").read()
def flipped(data, at):
    data = bytearray(data)
    data[at] ^= 1
    return bytes(data)
save("bad-message.header-byte", flipped(message, 40))
save("bad-message.body-byte", flipped(message, len(message) // 2))
save("bad-message.truncated", message[:-1000])
# Same plaintext, key and segment size: same layout, so this is message A's first half and B's second.
assert len(message) == len(other)
save("bad-message.spliced", message[: len(message) // 2] + other[len(message) // 2 :])
record = json.load(open(f"{work}/fields.python"))
card = record["card"]
middle = len(card) // 2
changed = dict(record, card=card[:middle] + ("A" if card[middle] != "A" else "B") + card[middle + 1 :])
swapped = dict(record, card=record["address"], address=record["card"])
headless = {k: v for k, v in record.items() if k != "keystead:fields"}
for name, value in (("changed", changed), ("swapped", swapped), ("headless", headless)):
    save(f"bad-fields.{name}", json.dumps(value).encode())
secret = open(f"{work}/secret.c", "rb").read()
middle = len(secret) // 2
save("bad-secret.flipped", secret[:middle] + (b"A" if secret[middle:middle + 1] != b"A" else b"B") + secret[middle + 1 :])
EOF

# Phase 2: every reader opens every writer's output, then every tampered input.
# add_opens KIND WRITERS... -- READERS...
add_opens() {
    local kind=$1 w r writers=()
    shift
    while [[ $1 != -- ]]; do writers+=("$1") && shift; done
    shift
    for w in "${writers[@]}"; do
        for r in "$@"; do JOBS+=("$kind $r open $WORK/$kind.$w $WORK/out.$kind.$w.$r"); done
    done
}
add_opens message "${MESSAGE_WRITERS[@]}" -- "${MESSAGE_READERS[@]}"
add_opens fields "${FIELDS_BINDINGS[@]}" -- "${FIELDS_BINDINGS[@]}"
add_opens secret "${SECRET_BINDINGS[@]}" -- "${SECRET_BINDINGS[@]}"
OPENS=${#JOBS[@]}
# add_refusals KIND READERS...
add_refusals() {
    local kind=$1 bad r
    shift
    for bad in "$WORK"/bad-"$kind".*; do
        for r in "$@"; do JOBS+=("$kind $r open $bad $WORK/out.${bad##*/}.$r"); done
    done
}
add_refusals message "${MESSAGE_REFUSERS[@]}"
add_refusals fields "${FIELDS_BINDINGS[@]}"
add_refusals secret "${SECRET_BINDINGS[@]}"
run_jobs "$SEALS"

# One line per input: each reader's verdict (ok = same plaintext, refused:<exception> = tampering
# detected with the expected exception).
PASSED=0
FAILED=0
row=""
for ((i = SEALS; i < ${#JOBS[@]}; i++)); do
    read -r kind who op in out <<<"${JOBS[$i]}"
    if ((i < OPENS)); then
        if [[ ${STATUS[i]} == ok ]] && same "$kind" "$who" "$out"; then verdict=ok; else verdict="FAILED:${STATUS[i]}"; fi
    else
        # Every binding names the refusal alike: a record without its fields header is not a
        # Keystead record (ValidationException); everything else is InvalidCiphertextException.
        expected=InvalidCiphertextException
        [[ $in == */bad-fields.headless ]] && expected=ValidationException
        if [[ ${STATUS[i]} == "$expected" ]]; then verdict="refused:$expected"; else verdict="FAILED:${STATUS[i]}"; fi
    fi
    if [[ $verdict == ok || $verdict == refused:* ]]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
    if [[ $row != "${in##*/}:"* ]]; then
        [[ -z $row ]] || echo "$row"
        row="${in##*/}:"
    fi
    row+=" $who=$verdict"
done
echo "$row"
echo "cross-binding: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
