"""Functions run in child processes by test_concurrency.py (importable by spawned children)."""

from __future__ import annotations

from typing import List, Tuple

import keystead


def encrypt_many(path: str, key_id: str, worker: int, count: int) -> List[Tuple[bytes, bytes]]:
    """Opens the store in a new process, creates a key and encrypts under a shared key."""
    store = keystead.Keystead(path)
    own = store.create_key(description=f"worker {worker}").key_id
    out = []
    for i in range(count):
        message = f"worker {worker} message {i}".encode()
        shared = store.encrypt(key_id, message, encryption_context={"worker": str(worker)}).ciphertext_blob
        out.append((message, shared))
        out.append((message, store.encrypt(own, message).ciphertext_blob))
    store.create_alias(f"alias/worker-{worker}", own)
    return out


def open_via_client(path: str) -> str:
    """Creates a key through the boto3-shaped client and returns its id."""
    kms = keystead.client(store_path=path)
    return str(kms.create_key(Description="from a child")["KeyMetadata"]["KeyId"])
