"""100,000 encrypt/decrypt calls must not grow the resident set by 5 MB or more."""

from __future__ import annotations

import gc
import os

import keystead

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def test_encrypt_decrypt_do_not_leak() -> None:
    store = keystead.Keystead.in_memory()
    key_id = store.create_key().key_id
    native = store._native  # the calls themselves, without building result objects twice
    plaintext = os.urandom(1024)
    context = {"purpose": "leak-test"}
    # Warm up caches and allocator pools before the baseline.
    for _ in range(2_000):
        native.decrypt(native.encrypt(key_id, plaintext, context)["CiphertextBlob"], context)
    gc.collect()
    before = _rss_bytes()
    for _ in range(25_000):
        sealed = store.encrypt(key_id, plaintext, encryption_context=context)
        assert store.decrypt(sealed.ciphertext_blob, encryption_context=context).plaintext == plaintext
    for _ in range(25_000):
        blob = native.encrypt(key_id, plaintext, context)["CiphertextBlob"]
        native.decrypt(blob, context)
    gc.collect()
    grown = _rss_bytes() - before
    assert grown < 5 * 1024 * 1024, f"RSS grew by {grown / 1024:.0f} KiB over 100,000 calls"
