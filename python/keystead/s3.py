"""Envelope-encrypted S3 objects over a boto3 S3 client (``docs/format.md`` section 5).

:func:`put_object` streams a body (bytes or a file object) through an envelope writer and
uploads it with a multipart upload whose parts line up with the message's segments (segment
size = part size), so memory stays at about one part whatever the object size.
:func:`get_object` downloads and opens an object, verifying every byte; with
``range=(start, end)`` it fetches only the header and the segments the plaintext range needs
(two ranged GETs and a HEAD). :func:`download_fileobj` opens an object into a file object
with bounded memory.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, BinaryIO, Mapping, Optional, Sequence, Tuple, Union

from . import _keystead
from ._args import native_store, string_map

if TYPE_CHECKING:  # pragma: no cover
    from .store import Keystead

__all__ = ["put_object", "get_object", "download_fileobj", "DEFAULT_PART_SIZE", "MIN_PART_SIZE"]

#: Default plaintext bytes per part and per segment (8 MiB).
DEFAULT_PART_SIZE = 8 << 20
#: S3's smallest part (all but the last).
MIN_PART_SIZE = 5 << 20
#: Bytes fetched first for a ranged read: the header, whatever its keys, fits.
_HEADER_PROBE = 64 << 10



def put_object(
    s3: Any,
    store: "Keystead",
    key_id: str,
    *,
    Bucket: str,
    Key: str,
    Body: Union[bytes, bytearray, memoryview, BinaryIO],
    encryption_context: Optional[Mapping[str, str]] = None,
    additional_key_ids: Optional[Sequence[str]] = None,
    part_size: int = DEFAULT_PART_SIZE,
    **extra: Any,
) -> dict[str, Any]:
    """Encrypts ``Body`` and uploads it to ``Bucket``/``Key``. Bodies up to one part go up in
    one ``PutObject``; larger ones in a multipart upload (aborted on any failure). ``extra``
    (``ContentType``, ``Metadata``, ...) is passed to ``PutObject`` /
    ``CreateMultipartUpload``. Returns the last S3 response."""
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part)")
    source: BinaryIO = io.BytesIO(bytes(Body)) if isinstance(Body, (bytes, bytearray, memoryview)) else Body
    native = _keystead.SealStreamNative(
        native_store(store),
        key_id,
        string_map(encryption_context, "EnvelopeSeal", "encryption_context"),
        None if additional_key_ids is None else list(additional_key_ids),
        part_size,
    )
    first = source.read(part_size)
    pending = bytearray(native.update(first))
    following = source.read(part_size)
    if not following:
        pending += native.finish()
        response: dict[str, Any] = s3.put_object(Bucket=Bucket, Key=Key, Body=bytes(pending), **extra)
        return response
    upload = s3.create_multipart_upload(Bucket=Bucket, Key=Key, **extra)
    upload_id = upload["UploadId"]
    parts: list[dict[str, Any]] = []
    try:
        chunk = following
        while True:
            pending += native.update(chunk)
            # Each part: the sealed segments ready so far (the first also holds the header).
            if len(pending) >= part_size:
                number = len(parts) + 1
                sent = s3.upload_part(
                    Bucket=Bucket, Key=Key, UploadId=upload_id, PartNumber=number, Body=bytes(pending)
                )
                parts.append({"PartNumber": number, "ETag": sent["ETag"]})
                pending = bytearray()
            chunk = source.read(part_size)
            if not chunk:
                break
        pending += native.finish()
        number = len(parts) + 1
        sent = s3.upload_part(Bucket=Bucket, Key=Key, UploadId=upload_id, PartNumber=number, Body=bytes(pending))
        parts.append({"PartNumber": number, "ETag": sent["ETag"]})
        response = s3.complete_multipart_upload(
            Bucket=Bucket, Key=Key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        return response
    except BaseException:
        s3.abort_multipart_upload(Bucket=Bucket, Key=Key, UploadId=upload_id)
        raise


def get_object(
    s3: Any,
    store: "Keystead",
    *,
    Bucket: str,
    Key: str,
    encryption_context: Optional[Mapping[str, str]] = None,
    allowed_wrapping_keys: Optional[Sequence[str]] = None,
    max_encrypted_data_keys: Optional[int] = None,
    range: Optional[Tuple[int, int]] = None,
    chunk_size: int = 1 << 20,
) -> bytes:
    """Downloads and opens ``Bucket``/``Key``; returns the plaintext, all of it verified. With
    ``range=(start, end)`` returns plaintext bytes ``[start, end)`` (clipped to the object),
    reading only the header and the segments they fall in."""
    context = string_map(encryption_context, "EnvelopeOpen", "encryption_context")
    allowed = None if allowed_wrapping_keys is None else list(allowed_wrapping_keys)
    if range is not None:
        start, end = range
        if start < 0 or end < start:
            raise ValueError("range must be (start, end) with 0 <= start <= end")
        length = int(s3.head_object(Bucket=Bucket, Key=Key)["ContentLength"])
        probe = min(length, _HEADER_PROBE)
        if probe == 0:
            prefix = b""
        else:
            prefix = s3.get_object(Bucket=Bucket, Key=Key, Range=f"bytes=0-{probe - 1}")["Body"].read()
        header_len, span_start, span_end = _keystead.envelope_range_span(prefix, length, start, end)
        span = s3.get_object(Bucket=Bucket, Key=Key, Range=f"bytes={span_start}-{span_end - 1}")["Body"].read()
        return _keystead.envelope_open_range_parts(
            native_store(store),
            prefix[:header_len],
            length,
            span_start,
            span,
            start,
            end,
            context,
            allowed,
            max_encrypted_data_keys,
        )
    out = io.BytesIO()
    download_fileobj(
        s3,
        store,
        Bucket=Bucket,
        Key=Key,
        Fileobj=out,
        encryption_context=encryption_context,
        allowed_wrapping_keys=allowed_wrapping_keys,
        max_encrypted_data_keys=max_encrypted_data_keys,
        chunk_size=chunk_size,
    )
    return out.getvalue()


def download_fileobj(
    s3: Any,
    store: "Keystead",
    *,
    Bucket: str,
    Key: str,
    Fileobj: BinaryIO,
    encryption_context: Optional[Mapping[str, str]] = None,
    allowed_wrapping_keys: Optional[Sequence[str]] = None,
    max_encrypted_data_keys: Optional[int] = None,
    chunk_size: int = 1 << 20,
) -> int:
    """Downloads and opens ``Bucket``/``Key`` into the file object ``Fileobj``, a segment at a
    time, so memory stays at a few segments whatever the object size; returns the plaintext
    length. Only verified plaintext is written, but if the object turns out damaged part-way,
    ``Fileobj`` already holds the verified segments before the damage: discard it on error."""
    native = _keystead.OpenStreamNative(
        native_store(store),
        string_map(encryption_context, "EnvelopeOpen", "encryption_context"),
        None if allowed_wrapping_keys is None else list(allowed_wrapping_keys),
        max_encrypted_data_keys,
    )
    body = s3.get_object(Bucket=Bucket, Key=Key)["Body"]
    written = 0
    while True:
        chunk = body.read(chunk_size)
        if not chunk:
            break
        written += Fileobj.write(native.update(chunk))
    written += Fileobj.write(native.finish())
    return written
