"""Threads sharing one store handle, and processes sharing one store folder."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _workers
import keystead


def test_threads_share_one_store(store: keystead.Keystead, key_id: str) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> int:
        done = 0
        for i in range(100):
            message = f"{n}:{i}".encode()
            sealed = store.encrypt(key_id, message, encryption_context={"thread": str(n)})
            assert store.decrypt(sealed.ciphertext_blob, encryption_context={"thread": str(n)}).plaintext == message
            done += 1
        store.create_key(description=f"thread {n}")
        return done

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(work, n) for n in range(8)]
        for future in futures:
            try:
                assert future.result() == 100
            except BaseException as err:  # pragma: no cover - reported below
                errors.append(err)
    assert not errors
    assert len(list(store.iter_keys())) == 9


def test_gil_is_released_during_store_work(tmp_path: Path) -> None:
    """A passphrase open (scrypt, ~100 ms of Rust work) must let another thread run."""
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        started = time.perf_counter()
        keystead.Keystead(tmp_path / "s", root_key=keystead.RootKey.passphrase("slow on purpose"))
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        thread.join()
    # With the GIL held for the whole open, the ticker would not run at all meanwhile.
    assert ticks >= max(3, int(elapsed * 1000) // 10), (ticks, elapsed)


def test_processes_share_a_folder(store_path: Path) -> None:
    parent = keystead.Keystead(store_path)
    shared = parent.create_key(description="shared").key_id
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        results = pool.starmap(_workers.encrypt_many, [(str(store_path), shared, w, 20) for w in range(3)])
        child_key = pool.apply(_workers.open_via_client, (str(store_path),))
    for worker, pairs in enumerate(results):
        assert len(pairs) == 40
        for i, (message, blob) in enumerate(pairs):
            context = {"worker": str(worker)} if i % 2 == 0 else None
            assert parent.decrypt(blob, encryption_context=context).plaintext == message
    descriptions = {parent.describe_key(k.key_id).description for k in parent.iter_keys()}
    assert descriptions == {"shared", "worker 0", "worker 1", "worker 2", "from a child"}
    assert {a.alias_name for a in parent.iter_aliases()} == {f"alias/worker-{w}" for w in range(3)}
    assert parent.describe_key(child_key).description == "from a child"


def test_forked_workers_open_their_own_handle(store_path: Path) -> None:
    """gunicorn-style: the parent uses the store, then forks workers that each open the folder."""
    parent = keystead.Keystead(store_path)
    shared = parent.create_key(description="shared").key_id
    parent.encrypt(shared, b"parent was here")
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.starmap(_workers.encrypt_many, [(str(store_path), shared, w, 5) for w in range(2)])
    for worker, pairs in enumerate(results):
        for i, (message, blob) in enumerate(pairs):
            context = {"worker": str(worker)} if i % 2 == 0 else None
            assert parent.decrypt(blob, encryption_context=context).plaintext == message


def test_gil_is_released_during_key_pair_generation(store: keystead.Keystead, key_id: str) -> None:
    """GenerateDataKeyPair and GetParametersForImport make RSA keys in Rust; other threads run meanwhile."""
    external = store.create_key(origin="EXTERNAL").key_id
    for operation in (
        lambda: store.generate_data_key_pair(key_id, "RSA_4096"),
        lambda: store.get_parameters_for_import(
            external, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_4096"
        ),
    ):
        ticks = 0
        stop = threading.Event()

        def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                time.sleep(0.001)

        thread = threading.Thread(target=ticker)
        thread.start()
        try:
            started = time.perf_counter()
            operation()
            elapsed = time.perf_counter() - started
        finally:
            stop.set()
            thread.join()
        assert ticks >= max(3, int(elapsed * 1000) // 10), (ticks, elapsed)
