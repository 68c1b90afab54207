"""`Keystead.iter_audit_events()`: the audit log streamed one event at a time (python/src/audit.rs
over the core's `EventReader`), the same events as `audit_events()`, bounded memory, typed errors."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

import keystead
from keystead import exceptions as exc


def _folder_store(path: Path) -> keystead.Keystead:
    # Written at once (no batching), so the files hold every event when they are read.
    return keystead.Keystead(path, audit=keystead.AuditOptions(durability="off"))


def test_the_iterator_yields_the_events_of_the_list(tmp_path: Path) -> None:
    store = _folder_store(tmp_path / "store")
    key = store.create_key().key_id
    store.encrypt(key, b"x", encryption_context={"order": "42"})
    with pytest.raises(exc.NotFoundException):
        store.describe_key("1234abcd-12ab-34cd-56ef-1234567890ab")
    events = store.iter_audit_events()
    assert iter(events) is events  # an iterator, not a list
    streamed = list(events)
    assert streamed == store.audit_events()
    assert [e["eventName"] for e in streamed] == ["CreateKey", "Encrypt", "DescribeKey"]
    assert streamed[1]["requestParameters"]["encryptionContext"] == {"order": "42"}
    assert streamed[2]["errorCode"] == "NotFoundException"
    # The dicts are what json.loads makes of the logged JSON (ints, bools, None, nesting).
    for event in streamed:
        assert json.loads(json.dumps(event)) == event
    assert isinstance(streamed[0]["readOnly"], bool)
    with pytest.raises(StopIteration):
        next(events)


def test_a_large_log_is_iterated_in_bounded_memory(tmp_path: Path) -> None:
    store = _folder_store(tmp_path / "store")
    key = store.create_key().key_id
    calls = 6000
    for i in range(calls):
        store.encrypt(key, b"record", encryption_context={"n": str(i)})
    # Python memory while iterating stays far below what the whole list takes.
    tracemalloc.start()
    try:
        count = 0
        last = None
        for event in store.iter_audit_events():
            count += 1
            last = event
        _, streaming_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        everything = store.audit_events()
        _, list_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == calls + 1 == len(everything)
    assert last == everything[-1] and last is not None and last["requestParameters"]["encryptionContext"] == {"n": str(calls - 1)}
    assert streaming_peak * 20 < list_peak, (streaming_peak, list_peak)


def test_iterator_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(exc.ValidationException) as info:
        keystead.Keystead.in_memory().iter_audit_events()
    assert info.value.operation_name == "ReadAuditLog"
    with pytest.raises(exc.ValidationException):
        keystead.Keystead(tmp_path / "quiet", audit=False).iter_audit_events()

    # A second segment named as created later (in 2099): the reader opens it only when its
    # merge has passed every earlier event, so removing it mid-iteration is a read error.
    path = tmp_path / "store"
    store = _folder_store(path)
    store.create_key()
    (segment,) = (path / "audit").glob("*.jsonl")
    later = segment.with_name("20991231T000000Z-1-000000000000.jsonl")
    later.write_bytes(segment.read_bytes())
    assert [e["eventName"] for e in store.iter_audit_events()] == ["CreateKey", "CreateKey"]
    events = store.iter_audit_events()
    assert next(events)["eventName"] == "CreateKey"
    later.unlink()
    with pytest.raises(exc.KMSInternalException) as failed:
        next(events)
    assert failed.value.operation_name == "ReadAuditLog"
    with pytest.raises(StopIteration):  # the stream ended with the error
        next(events)
