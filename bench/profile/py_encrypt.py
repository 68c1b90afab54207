"""About 5 s of Keystead Encrypt + Decrypt of a 1 KiB record from Python (in-memory store): what
bench/report.py runs under `perf record` when a Python 1 KiB goal is missed."""

import os
import time

import keystead

store = keystead.Keystead.in_memory()
key_id = store.create_key().key_id
record = os.urandom(1024)
context = {"tenant": "acme-corp", "purpose": "customer-record"}
end = time.time() + 5
while time.time() < end:
    for _ in range(500):
        blob = store.encrypt(key_id, record, encryption_context=context).ciphertext_blob
        store.decrypt(blob, encryption_context=context)
