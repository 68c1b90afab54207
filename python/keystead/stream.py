"""Streaming envelope encryption over file objects (``docs/format.md`` section 5).

:class:`EnvelopeWriter` seals everything written to it into one envelope message written to
another file object; :class:`EnvelopeReader` opens a message read from a file object. Both are
:class:`io.RawIOBase` objects (wrap them in :class:`io.BufferedWriter` / ``BufferedReader`` or
pass them to :func:`shutil.copyfileobj`), hold about two segments in memory whatever the size,
and release the GIL while encrypting. The messages are the ones every Keystead binding reads
(:func:`keystead.envelope_seal` / :func:`keystead.envelope_open`, the CLI's ``decrypt-file``).
"""

from __future__ import annotations

import io
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Mapping, Optional, Sequence, Type

from . import _keystead
from ._args import native_store, string_map

if TYPE_CHECKING:  # pragma: no cover
    from .store import Keystead

__all__ = ["EnvelopeWriter", "EnvelopeReader", "envelope_seal", "envelope_open", "DEFAULT_SEGMENT_SIZE"]

#: Plaintext bytes per segment unless ``segment_size`` is given (1 MiB).
DEFAULT_SEGMENT_SIZE = 1 << 20



def envelope_seal(
    store: "Keystead",
    key_id: str,
    plaintext: bytes,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    additional_key_ids: Optional[Sequence[str]] = None,
    segment_size: Optional[int] = None,
) -> bytes:
    """Seals ``plaintext`` into one envelope message under ``key_id`` (which generates the data
    key) and ``additional_key_ids`` (any of them can open it)."""
    return _keystead.envelope_seal(
        native_store(store),
        key_id,
        plaintext,
        encryption_context,  # checked natively, as string_map does
        None if additional_key_ids is None else list(additional_key_ids),
        segment_size,
    )


def envelope_open(
    store: "Keystead",
    message: bytes,
    *,
    encryption_context: Optional[Mapping[str, str]] = None,
    allowed_wrapping_keys: Optional[Sequence[str]] = None,
    max_encrypted_data_keys: Optional[int] = None,
) -> bytes:
    """Opens an envelope message; every byte is verified. Raises
    :class:`keystead.exceptions.InvalidCiphertextException` for any damaged message or another
    encryption context."""
    return _keystead.envelope_open(
        native_store(store),
        message,
        encryption_context,  # checked natively, as string_map does
        None if allowed_wrapping_keys is None else list(allowed_wrapping_keys),
        max_encrypted_data_keys,
    )


class EnvelopeWriter(io.RawIOBase):
    """Seals what is written to it into ``fileobj`` (anything with ``write``).

    ``close()`` (or leaving a ``with`` block normally) writes the last segment; leaving a
    ``with`` block by an exception does not, so the partial message is refused by every reader.
    ``fileobj`` is flushed, and closed only if ``close_fileobj`` is true.
    """

    def __init__(
        self,
        fileobj: BinaryIO,
        store: "Keystead",
        key_id: str,
        *,
        encryption_context: Optional[Mapping[str, str]] = None,
        additional_key_ids: Optional[Sequence[str]] = None,
        segment_size: Optional[int] = None,
        close_fileobj: bool = False,
    ) -> None:
        super().__init__()
        self._fileobj = fileobj
        self._close_fileobj = close_fileobj
        self._native: Optional[_keystead.SealStreamNative] = _keystead.SealStreamNative(
            native_store(store),
            key_id,
            string_map(encryption_context, "EnvelopeSeal", "encryption_context"),
            None if additional_key_ids is None else list(additional_key_ids),
            segment_size,
        )
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: "bytes | bytearray | memoryview") -> int:  # type: ignore[override]
        if self.closed or self._native is None:
            raise ValueError("write to a closed EnvelopeWriter")
        sealed = self._native.update(data)
        if sealed:
            self._fileobj.write(sealed)
            self.bytes_written += len(sealed)
        return len(memoryview(data))

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._native is not None:
                sealed = self._native.finish()
                self._native = None
                self._fileobj.write(sealed)
                self.bytes_written += len(sealed)
                self._fileobj.flush()
        finally:
            self._release()

    def _release(self) -> None:
        self._native = None
        if self._close_fileobj:
            self._fileobj.close()
        super().close()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if exc_type is not None and not self.closed:
            # Do not seal the last segment: what was written stays an unopenable fragment.
            self._release()
            return
        self.close()


class EnvelopeReader(io.RawIOBase):
    """Opens the envelope message read from ``fileobj`` (anything with ``read``).

    Each segment's plaintext is returned only after its tag verifies; the end of the message is
    verified when ``fileobj`` is exhausted, so a read that returns ``b""`` (end of file) proves
    the message complete. Damage raises
    :class:`keystead.exceptions.InvalidCiphertextException` and every later read raises too.
    """

    def __init__(
        self,
        fileobj: BinaryIO,
        store: "Keystead",
        *,
        encryption_context: Optional[Mapping[str, str]] = None,
        allowed_wrapping_keys: Optional[Sequence[str]] = None,
        max_encrypted_data_keys: Optional[int] = None,
        chunk_size: int = 1 << 20,
        close_fileobj: bool = False,
    ) -> None:
        super().__init__()
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self._fileobj = fileobj
        self._close_fileobj = close_fileobj
        self._chunk_size = chunk_size
        self._native = _keystead.OpenStreamNative(
            native_store(store),
            string_map(encryption_context, "EnvelopeOpen", "encryption_context"),
            None if allowed_wrapping_keys is None else list(allowed_wrapping_keys),
            max_encrypted_data_keys,
        )
        self._pending = memoryview(b"")
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        if self.closed:
            raise ValueError("read from a closed EnvelopeReader")
        out = memoryview(buffer).cast("B")
        while not self._pending and not self._eof:
            chunk = self._fileobj.read(self._chunk_size)
            if not chunk:
                self._pending = memoryview(self._native.finish())
                self._eof = True
            else:
                self._pending = memoryview(self._native.update(chunk))
        n = min(len(out), len(self._pending))
        out[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if self.closed:
            return
        self._pending = memoryview(b"")
        if self._close_fileobj:
            self._fileobj.close()
        super().close()
