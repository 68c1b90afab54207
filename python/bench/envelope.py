"""Envelope encryption from Python, for the issue 7 note and python/README.md.

Measures, on an on-disk store (key file root key; audit log off unless --audit, so the figures
are the envelope path itself; the audit log's own cost is in audit_overhead.py):

* 1 KiB record: keystead.envelope_seal / envelope_open operations per second, next to the same
  envelope written by hand with `cryptography` (a fresh AES-256-GCM data key per record, wrapped
  with AES-256-GCM under an in-memory key, then AES-256-GCM of the record);
* bytes of overhead of a sealed 1 KiB record (empty encryption context, one wrapping key) and
  with a two-pair context;
* streaming 64 MiB (1 MiB segments, 64 KiB writes and reads) through EnvelopeWriter /
  EnvelopeReader over in-memory files, MiB/s, next to the core's SealStream / OpenStream doing
  the same in a Rust loop (keystead._keystead._time_envelope_stream), interleaved in one run;
* keystead.fields: encrypt_fields / decrypt_fields of a 6-field customer record with 2 fields
  encrypted, microseconds per record.

Each figure is the best and the median of ROUNDS rounds.
Run: target/py-venv/bin/python python/bench/envelope.py [--audit]
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from typing import Callable, List

import keystead
from keystead import _keystead, fields
from keystead.stream import EnvelopeReader, EnvelopeWriter

ROUNDS = 5
RECORD_CALLS = 2000
STREAM_SIZE = 64 << 20
IO_CHUNK = 64 << 10


def per_second(fn: Callable[[], object], calls: int) -> List[float]:
    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        rates.append(calls / (time.perf_counter() - start))
    return rates


def show(name: str, values: List[float], unit: str, higher_is_better: bool = True) -> None:
    best = max(values) if higher_is_better else min(values)
    print(f"{name:64s} best {best:10.1f}  median {statistics.median(values):10.1f}  {unit}")


def hand_written_envelope() -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    """The envelope a Python developer writes with `cryptography` alone (no key management)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    wrapping = AESGCM(AESGCM.generate_key(256))

    def seal(record: bytes) -> bytes:
        data_key = AESGCM.generate_key(256)
        wrap_nonce, nonce = os.urandom(12), os.urandom(12)
        wrapped = wrapping.encrypt(wrap_nonce, data_key, None)
        return wrap_nonce + wrapped + nonce + AESGCM(data_key).encrypt(nonce, record, None)

    def open_(message: bytes) -> bytes:
        data_key = wrapping.decrypt(message[:12], message[12:60], None)
        return AESGCM(data_key).decrypt(message[60:72], message[72:], None)

    return seal, open_


def main() -> None:
    audit = "--audit" in sys.argv[1:]
    folder = tempfile.mkdtemp(prefix="keystead-bench-")
    store = keystead.Keystead(os.path.join(folder, "store"), audit=audit)
    key = store.create_key().key_id
    record = bytes(i % 251 for i in range(1024))
    print(f"Python {sys.version.split()[0]}, keystead {keystead.__version__}, audit log {'on' if audit else 'off'}, "
          f"{os.cpu_count()} CPUs, best/median of {ROUNDS} rounds")

    sealed = keystead.envelope_seal(store, key, record)
    with_context = keystead.envelope_seal(store, key, record, encryption_context={"tenant": "t-42", "table": "orders"})
    print(f"overhead of a sealed 1 KiB record: {len(sealed) - len(record)} bytes (empty context), "
          f"{len(with_context) - len(record)} bytes (context tenant=t-42, table=orders)")
    show("envelope_seal 1 KiB", per_second(lambda: keystead.envelope_seal(store, key, record), RECORD_CALLS), "ops/s")
    show("envelope_open 1 KiB", per_second(lambda: keystead.envelope_open(store, sealed), RECORD_CALLS), "ops/s")
    try:
        seal, open_ = hand_written_envelope()
    except ImportError:
        print("(cryptography not installed: no hand-written comparison)")
    else:
        theirs = seal(record)
        assert open_(theirs) == record
        show("hand-written cryptography envelope seal 1 KiB", per_second(lambda: seal(record), RECORD_CALLS), "ops/s")
        show("hand-written cryptography envelope open 1 KiB", per_second(lambda: open_(theirs), RECORD_CALLS), "ops/s")

    row = {"pk": "customer-42", "name": "Ada Lovelace", "card": "4111 1111 1111 1111",
           "address": {"street": "12 St James's Square", "city": "London"}, "tier": 3, "active": True}
    sealed_row = fields.encrypt_fields(store, key, row, ["card", "address"], encryption_context={"table": "customers"})
    assert fields.decrypt_fields(store, sealed_row, encryption_context={"table": "customers"}) == row
    enc = per_second(lambda: fields.encrypt_fields(store, key, row, ["card", "address"],
                                                   encryption_context={"table": "customers"}), RECORD_CALLS)
    dec = per_second(lambda: fields.decrypt_fields(store, sealed_row, encryption_context={"table": "customers"}),
                     RECORD_CALLS)
    show("fields.encrypt_fields, 2 of 6 fields", [1e6 / r for r in enc], "us/record", higher_is_better=False)
    show("fields.decrypt_fields, 2 of 6 fields", [1e6 / r for r in dec], "us/record", higher_is_better=False)

    plaintext = bytes(i % 251 for i in range(STREAM_SIZE))
    mib = STREAM_SIZE / 2**20
    py_seal, py_open, rust_seal, rust_open = [], [], [], []
    for _ in range(ROUNDS):
        sealed_s, opened_s = _keystead._time_envelope_stream(store._native, key, STREAM_SIZE, IO_CHUNK)
        rust_seal.append(mib / sealed_s)
        rust_open.append(mib / opened_s)
        out = io.BytesIO()
        view = memoryview(plaintext)
        start = time.perf_counter()
        with EnvelopeWriter(out, store, key) as writer:
            for at in range(0, STREAM_SIZE, IO_CHUNK):
                writer.write(view[at : at + IO_CHUNK])
        py_seal.append(mib / (time.perf_counter() - start))
        message = out.getbuffer()
        start = time.perf_counter()
        reader = EnvelopeReader(io.BytesIO(message), store)
        buffer = bytearray(IO_CHUNK)
        total = 0
        while n := reader.readinto(buffer):
            total += n
        py_open.append(mib / (time.perf_counter() - start))
        assert total == STREAM_SIZE
        del message, out
    show("EnvelopeWriter 64 MiB (Python, 64 KiB writes)", py_seal, "MiB/s")
    show("SealStream 64 MiB (Rust loop, same chunks, same run)", rust_seal, "MiB/s")
    show("EnvelopeReader 64 MiB (Python, 64 KiB reads)", py_open, "MiB/s")
    show("OpenStream 64 MiB (Rust loop, same chunks, same run)", rust_open, "MiB/s")


if __name__ == "__main__":
    main()
