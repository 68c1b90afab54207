"""Per-call cost of Keystead from Python, for python/README.md.

Measures, on an on-disk store (key file root key, key named by key id, as the Rust criterion
benchmark `symmetric/Encrypt 1 KiB` in bench/ does):

* Encrypt / Decrypt of 1 KiB through the native method, the typed API and the boto3-shaped
  client (the difference to `cargo bench -p keystead-bench -- "symmetric/Encrypt 1 KiB"` is
  the binding's overhead);
* operations per second of an envelope round trip of 1 KiB: GenerateDataKey + local AES-GCM
  encrypt, then Decrypt of the data key + local AES-GCM decrypt, against the same envelope
  written by hand with `cryptography` (an in-memory AES-256-GCM wrapping key), in the same run.

Run: target/py-venv/bin/python python/bench/encrypt_overhead.py  (needs `pip install cryptography`
for the envelope comparison).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

import keystead

ROUNDS = int(os.environ.get("ROUNDS", "7"))
CALLS = int(os.environ.get("CALLS", "2000"))


Row = Tuple[str, Callable[[], object]]


def measure(rows: List[Row], rust: Optional[Callable[[int], float]] = None) -> Dict[str, Tuple[float, float]]:
    """Per-call time of each row in microseconds: (best round, median round). Rows run
    round-robin, one batch of CALLS calls each per round, so machine load hits all alike.
    `rust(n)` runs n core calls in a Rust loop and returns the seconds taken."""
    samples: Dict[str, List[float]] = {RUST: []} if rust else {}
    samples.update({name: [] for name, _ in rows})
    for _, fn in rows:
        for _ in range(200):
            fn()
    for _ in range(ROUNDS):
        if rust:
            samples[RUST].append(rust(CALLS) / CALLS * 1e6)
        for name, fn in rows:
            start = time.perf_counter()
            for _ in range(CALLS):
                fn()
            samples[name].append((time.perf_counter() - start) / CALLS * 1e6)
    return {name: (min(v), statistics.median(v)) for name, v in samples.items()}


RUST = "Encrypt 1 KiB, Rust loop over the core call (no Python)"


def main() -> None:
    folder = tempfile.mkdtemp(prefix="keystead-bench-")
    store = keystead.Keystead(os.path.join(folder, "store"))
    native = store._native
    kms = keystead.client(store=store)
    key_id = store.create_key().key_id
    plaintext = bytes(i % 251 for i in range(1024))
    blob = store.encrypt(key_id, plaintext).ciphertext_blob

    rows: List[Row] = [
        ("Encrypt 1 KiB, native method (_keystead.Store.encrypt)", lambda: native.encrypt(key_id, plaintext)),
        ("Encrypt 1 KiB, typed API (Keystead.encrypt)", lambda: store.encrypt(key_id, plaintext)),
        ("Encrypt 1 KiB, boto3-shaped client (kms.encrypt)", lambda: kms.encrypt(KeyId=key_id, Plaintext=plaintext)),
        ("Decrypt 1 KiB, native method", lambda: native.decrypt(blob)),
        ("Decrypt 1 KiB, typed API", lambda: store.decrypt(blob)),
        ("Decrypt 1 KiB, boto3-shaped client", lambda: kms.decrypt(CiphertextBlob=blob)),
    ]
    print(f"Python {sys.version.split()[0]}, keystead {keystead.__version__}, {ROUNDS} x {CALLS} calls")
    print(f"{'':60s} {'best':>8s} {'median':>8s}  (us/call)")
    timings = measure(rows, rust=lambda n: native._time_encrypt(key_id, plaintext, n))
    for name, (best, median) in timings.items():
        print(f"{name:60s} {best:8.1f} {median:8.1f}")

    base = timings[RUST]
    for name in [n for n, _ in rows if n.startswith("Encrypt")]:
        best, median = timings[name]
        print(f"overhead vs Rust loop, {name.split(', ', 1)[1]:44s} best {best - base[0]:+6.1f} us, median {median - base[1]:+6.1f} us")

    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        print("cryptography not installed: envelope comparison skipped")
        return

    def keystead_envelope() -> None:
        data_key = store.generate_data_key(key_id, key_spec="AES_256")
        nonce = os.urandom(12)
        sealed = AESGCM(data_key.plaintext).encrypt(nonce, plaintext, None)
        opened_key = store.decrypt(data_key.ciphertext_blob).plaintext
        assert AESGCM(opened_key).decrypt(nonce, sealed, None) == plaintext

    wrapping = AESGCM(AESGCM.generate_key(bit_length=256))

    def cryptography_envelope() -> None:
        data_key = os.urandom(32)
        wrap_nonce = os.urandom(12)
        wrapped = wrapping.encrypt(wrap_nonce, data_key, None)
        nonce = os.urandom(12)
        sealed = AESGCM(data_key).encrypt(nonce, plaintext, None)
        opened_key = wrapping.decrypt(wrap_nonce, wrapped, None)
        assert AESGCM(opened_key).decrypt(nonce, sealed, None) == plaintext

    envelopes = measure(
        [
            ("Envelope 1 KiB: Keystead GenerateDataKey + Decrypt + AES-GCM", keystead_envelope),
            ("Envelope 1 KiB: hand-written with cryptography (in-memory key)", cryptography_envelope),
        ]
    )
    for name, (best, median) in envelopes.items():
        print(f"{name:60s} {best:8.1f} {median:8.1f}  = {1e6 / median:9,.0f} ops/s (median)")


if __name__ == "__main__":
    main()
