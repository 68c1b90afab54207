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
from typing import Callable

import keystead

ROUNDS = int(os.environ.get("ROUNDS", "7"))
CALLS = int(os.environ.get("CALLS", "2000"))


def per_call(fn: Callable[[], object]) -> float:
    """Median over ROUNDS of the mean time of CALLS calls, in microseconds."""
    for _ in range(200):
        fn()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            fn()
        samples.append((time.perf_counter() - start) / CALLS * 1e6)
    return statistics.median(samples)


def main() -> None:
    folder = tempfile.mkdtemp(prefix="keystead-bench-")
    store = keystead.Keystead(os.path.join(folder, "store"))
    native = store._native
    kms = keystead.client(store=store)
    key_id = store.create_key().key_id
    plaintext = bytes(i % 251 for i in range(1024))
    blob = store.encrypt(key_id, plaintext).ciphertext_blob

    rows = [
        ("Encrypt 1 KiB, native method (_keystead.Store.encrypt)", lambda: native.encrypt(key_id, plaintext)),
        ("Encrypt 1 KiB, typed API (Keystead.encrypt)", lambda: store.encrypt(key_id, plaintext)),
        ("Encrypt 1 KiB, boto3-shaped client (kms.encrypt)", lambda: kms.encrypt(KeyId=key_id, Plaintext=plaintext)),
        ("Decrypt 1 KiB, native method", lambda: native.decrypt(blob)),
        ("Decrypt 1 KiB, typed API", lambda: store.decrypt(blob)),
        ("Decrypt 1 KiB, boto3-shaped client", lambda: kms.decrypt(CiphertextBlob=blob)),
    ]
    print(f"Python {sys.version.split()[0]}, keystead {keystead.__version__}, {ROUNDS} x {CALLS} calls")
    for name, fn in rows:
        print(f"{name:60s} {per_call(fn):8.1f} us/call")

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

    for name, fn in (
        ("Envelope 1 KiB: Keystead GenerateDataKey + Decrypt + AES-GCM", keystead_envelope),
        ("Envelope 1 KiB: hand-written with cryptography (in-memory key)", cryptography_envelope),
    ):
        micros = per_call(fn)
        print(f"{name:60s} {micros:8.1f} us/round trip = {1e6 / micros:9,.0f} ops/s")


if __name__ == "__main__":
    main()
