"""Envelope encryption from Python: one-shot seal/open, file-like EnvelopeWriter/EnvelopeReader
(io.RawIOBase), the boto3 S3 helpers against moto (multipart upload, ranged GETs), field-level
record encryption and configuration secrets."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
from typing import Any, Iterator

import pytest

import keystead
from keystead import exceptions, fields, secrets
from keystead.stream import EnvelopeReader, EnvelopeWriter

SEG = 64


def data(n: int) -> bytes:
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


@pytest.fixture
def key(memory_store: keystead.Keystead) -> str:
    return memory_store.create_key().key_id


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, SEG * 9 + 5])
def test_writer_and_reader_round_trip_and_agree_with_one_shot(
    memory_store: keystead.Keystead, key: str, size: int
) -> None:
    plain = data(size)
    context = {"object": "export.csv"}
    sink = io.BytesIO()
    with EnvelopeWriter(sink, memory_store, key, encryption_context=context, segment_size=SEG) as writer:
        for at in range(0, size, 10):
            assert writer.write(plain[at : at + 10]) == len(plain[at : at + 10])
    message = sink.getvalue()
    assert message[0] == 0xE1
    assert len(message) == writer.bytes_written
    assert keystead.envelope_open(memory_store, message, encryption_context=context) == plain
    with EnvelopeReader(io.BytesIO(message), memory_store, encryption_context=context, chunk_size=7) as reader:
        assert reader.read() == plain
    # The one-shot seal's message opens through the reader, in small reads.
    sealed = keystead.envelope_seal(memory_store, key, plain, encryption_context=context, segment_size=SEG)
    reader = EnvelopeReader(io.BytesIO(sealed), memory_store, encryption_context=context, chunk_size=13)
    got = bytearray()
    buf = bytearray(5)
    while True:
        n = reader.readinto(buf)
        if n == 0:
            break
        got += buf[:n]
    assert bytes(got) == plain


def test_reader_is_a_raw_io_for_buffered_io_and_copyfileobj(memory_store: keystead.Keystead, key: str) -> None:
    plain = os.urandom(300_000)
    sink = io.BytesIO()
    with io.BufferedWriter(EnvelopeWriter(sink, memory_store, key, segment_size=4096)) as buffered:
        buffered.write(plain)
    message = sink.getvalue()
    out = io.BytesIO()
    shutil.copyfileobj(io.BufferedReader(EnvelopeReader(io.BytesIO(message), memory_store)), out)
    assert out.getvalue() == plain
    text = io.TextIOWrapper(
        io.BufferedReader(
            EnvelopeReader(io.BytesIO(keystead.envelope_seal(memory_store, key, b"line 1\nline 2\n")), memory_store)
        )
    )
    assert text.readlines() == ["line 1\n", "line 2\n"]


def test_tampering_truncation_and_wrong_context_raise(memory_store: keystead.Keystead, key: str) -> None:
    plain = data(SEG * 4)
    message = keystead.envelope_seal(memory_store, key, plain, encryption_context={"a": "1"}, segment_size=SEG)
    with pytest.raises(exceptions.InvalidCiphertextException):
        EnvelopeReader(io.BytesIO(message), memory_store, encryption_context={"a": "2"}).read()
    for at in (0, 50, len(message) // 2, len(message) - 1):
        bad = bytearray(message)
        bad[at] ^= 1
        with pytest.raises(exceptions.InvalidCiphertextException):
            EnvelopeReader(io.BytesIO(bytes(bad)), memory_store, encryption_context={"a": "1"}).read()
    for cut in (10, len(message) - SEG - 16, len(message) - 1):
        reader = EnvelopeReader(io.BytesIO(message[:cut]), memory_store, encryption_context={"a": "1"})
        with pytest.raises(exceptions.InvalidCiphertextException):
            reader.read()
        with pytest.raises(exceptions.InvalidCiphertextException):
            reader.read()  # every later read fails too
    with pytest.raises(exceptions.InvalidCiphertextException):
        keystead.envelope_open(memory_store, message[:-1], encryption_context={"a": "1"})


def test_writer_left_by_an_exception_leaves_an_unopenable_fragment(
    memory_store: keystead.Keystead, key: str
) -> None:
    sink = io.BytesIO()
    with pytest.raises(RuntimeError):
        with EnvelopeWriter(sink, memory_store, key, segment_size=SEG) as writer:
            writer.write(data(SEG * 3))
            raise RuntimeError("export failed")
    assert writer.closed
    with pytest.raises(exceptions.InvalidCiphertextException):
        keystead.envelope_open(memory_store, sink.getvalue())
    with pytest.raises(ValueError):
        writer.write(b"more")


def test_bad_options_and_keys(memory_store: keystead.Keystead, key: str) -> None:
    with pytest.raises(exceptions.ValidationException):
        EnvelopeWriter(io.BytesIO(), memory_store, key, segment_size=8)
    with pytest.raises(exceptions.NotFoundException):
        EnvelopeWriter(io.BytesIO(), memory_store, "alias/none")
    with pytest.raises(exceptions.ValidationException):
        EnvelopeReader(io.BytesIO(), memory_store, max_encrypted_data_keys=0)
    other = memory_store.create_key().key_id
    message = keystead.envelope_seal(memory_store, key, b"x", additional_key_ids=[other])
    memory_store.disable_key(key)
    assert keystead.envelope_open(memory_store, message, allowed_wrapping_keys=[other]) == b"x"
    with pytest.raises(exceptions.DisabledException):
        keystead.envelope_open(memory_store, message, allowed_wrapping_keys=[key])
    with pytest.raises(exceptions.InvalidCiphertextException):
        keystead.envelope_open(memory_store, message, max_encrypted_data_keys=1)


def test_the_gil_is_released_while_sealing(memory_store: keystead.Keystead, key: str) -> None:
    # While one thread seals 64 MiB, another thread keeps running Python code.
    plain = bytes(64 << 20)
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)

    counter = threading.Thread(target=count)
    counter.start()
    start = time.perf_counter()
    before = ticks
    keystead.envelope_seal(memory_store, key, plain, segment_size=1 << 20)
    elapsed = time.perf_counter() - start
    during = ticks - before
    done.set()
    counter.join()
    assert during > 10, f"the other thread ran {during} times in {elapsed:.3f}s"


# ---------------------------------------------------------------- S3 (moto)


@pytest.fixture
def s3() -> Iterator[Any]:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="exports")
        yield client


def test_s3_multipart_put_and_full_and_ranged_get(s3: Any, memory_store: keystead.Keystead, key: str) -> None:
    from keystead import s3 as ks3

    part = ks3.MIN_PART_SIZE
    plain = os.urandom(part * 2 + 12345)
    context = {"export": "orders-2026-11-28"}
    ks3.put_object(
        s3, memory_store, key, Bucket="exports", Key="orders.ks", Body=io.BytesIO(plain),
        encryption_context=context, part_size=part,
    )
    head = s3.head_object(Bucket="exports", Key="orders.ks")
    # A multipart upload's ETag ends with "-<parts>": three parts, one per segment.
    assert head["ETag"].strip('"').endswith("-3")
    assert ks3.get_object(s3, memory_store, Bucket="exports", Key="orders.ks", encryption_context=context) == plain

    class Sink(io.RawIOBase):
        """Records the size of every write: download_fileobj must hand over a segment at a time."""

        def __init__(self) -> None:
            self.data, self.largest = bytearray(), 0

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.data += b
            self.largest = max(self.largest, len(b))
            return len(b)

    sink = Sink()
    n = ks3.download_fileobj(
        s3, memory_store, Bucket="exports", Key="orders.ks", Fileobj=sink, encryption_context=context, chunk_size=65536
    )
    assert n == len(plain) and bytes(sink.data) == plain
    assert 0 < sink.largest <= part
    for start, end in [(0, 10), (part - 5, part + 5), (part * 2, len(plain)), (len(plain) - 1, len(plain) + 100), (7, 7)]:
        got = ks3.get_object(
            s3, memory_store, Bucket="exports", Key="orders.ks", encryption_context=context, range=(start, end)
        )
        assert got == plain[start:end], (start, end)
    with pytest.raises(exceptions.InvalidCiphertextException):
        ks3.get_object(s3, memory_store, Bucket="exports", Key="orders.ks", encryption_context={"export": "x"})
    # Small bodies go up in one PutObject and read back the same way.
    ks3.put_object(s3, memory_store, key, Bucket="exports", Key="small.ks", Body=b"tiny", part_size=part)
    assert ks3.get_object(s3, memory_store, Bucket="exports", Key="small.ks") == b"tiny"
    assert ks3.get_object(s3, memory_store, Bucket="exports", Key="small.ks", range=(1, 3)) == b"in"
    # A tampered object is refused.
    stored = s3.get_object(Bucket="exports", Key="small.ks")["Body"].read()
    s3.put_object(Bucket="exports", Key="small.ks", Body=stored[:-1] + bytes([stored[-1] ^ 1]))
    with pytest.raises(exceptions.InvalidCiphertextException):
        ks3.get_object(s3, memory_store, Bucket="exports", Key="small.ks")
    with pytest.raises(ValueError):
        ks3.put_object(s3, memory_store, key, Bucket="exports", Key="x", Body=b"x", part_size=1024)


# ---------------------------------------------------------------- fields and secrets


def test_fields_round_trip_and_refuse_moves(memory_store: keystead.Keystead, key: str) -> None:
    row = {"pk": "customer#42", "card": "4111 1111 1111 1111", "address": {"city": "Lyon"}, "points": 12}
    context = {"table": "customers", "pk": row["pk"]}
    sealed = fields.encrypt_fields(memory_store, key, row, ["card", "address"], encryption_context=context)
    assert sealed["pk"] == "customer#42" and sealed["points"] == 12
    assert "4111" not in str(sealed) and "Lyon" not in str(sealed)
    assert isinstance(sealed[fields.FIELDS_ATTRIBUTE], str)
    assert fields.decrypt_fields(memory_store, sealed, encryption_context=context) == row
    swapped = dict(sealed, card=sealed["address"], address=sealed["card"])
    with pytest.raises(exceptions.InvalidCiphertextException):
        fields.decrypt_fields(memory_store, swapped, encryption_context=context)
    with pytest.raises(exceptions.InvalidCiphertextException):
        fields.decrypt_fields(memory_store, sealed, encryption_context={"table": "customers", "pk": "customer#43"})
    with pytest.raises(exceptions.ValidationException):
        fields.encrypt_fields(memory_store, key, row, ["email"], encryption_context=context)
    with pytest.raises(TypeError):
        fields.encrypt_fields(memory_store, key, row, "card")


def test_secrets_decrypt_env(memory_store: keystead.Keystead, key: str) -> None:
    context = {"app": "shop"}
    value = secrets.encrypt_secret(memory_store, key, "DB_PASSWORD", "pässword", encryption_context=context)
    assert value.startswith(secrets.SECRET_PREFIX) and secrets.is_secret(value)
    assert secrets.decrypt_secret(memory_store, "DB_PASSWORD", value, encryption_context=context) == "pässword".encode()
    env = {"DB_PASSWORD": value, "LOG_LEVEL": "info"}
    assert secrets.decrypt_env(memory_store, env, encryption_context=context) == {"DB_PASSWORD": "pässword"}
    assert env == {"DB_PASSWORD": "pässword", "LOG_LEVEL": "info"}
    moved = {"ADMIN_PASSWORD": value, "OTHER": "x"}
    with pytest.raises(exceptions.InvalidCiphertextException, match="ADMIN_PASSWORD"):
        secrets.decrypt_env(memory_store, moved, encryption_context=context)
    assert moved["ADMIN_PASSWORD"] == value, "nothing written when one fails"
    with pytest.raises(exceptions.ValidationException):
        secrets.decrypt_env(memory_store, {"X": "keystead:v7:abc"})
