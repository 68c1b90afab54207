"""A small shop backend: customer records encrypted with Keystead data keys, stored in S3.

Customer data -> KMS encryption (Keystead, embedded) -> Amazon S3 (or any S3-compatible server).

Each record (name, card number, address) is encrypted locally with AES-256-GCM under a fresh data
key from `GenerateDataKey`; the data key is stored, encrypted under the shop's KMS key, in the S3
object's metadata. The encryption context binds every data key to its customer and purpose.

Environment:
  SHOP_KEYSTEAD_STORE  folder of the Keystead store (default: ./target/ecommerce-keystead)
  SHOP_S3_ENDPOINT     S3 endpoint URL (unset: real Amazon S3 with your usual AWS credentials)
  SHOP_BUCKET          bucket name (default: keystead-shop-demo; created if missing)
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import time
from typing import Any, Dict

import boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import keystead
from keystead import s3 as keystead_s3

ALIAS = "alias/shop-customers"
PURPOSE = "customer-record"

CUSTOMERS = [
    {"id": "c-1001", "name": "Ada Lovelace", "card": "4111 1111 1111 1111", "address": "12 St James's Sq, London"},
    {"id": "c-1002", "name": "Grace Hopper", "card": "5500 0000 0000 0004", "address": "1 Navy Yard, Arlington"},
    {"id": "c-1003", "name": "Alan Turing", "card": "3400 0000 0000 009", "address": "Bletchley Park, Milton Keynes"},
]


def say(text: str = "") -> None:
    print(text, flush=True)


def step(title: str) -> None:
    say()
    say(f"== {title}")


def masked(card: str) -> str:
    return "**** " + card.replace(" ", "")[-4:]


class Shop:
    """The shop's storage layer: put and get encrypted customer records."""

    def __init__(self, kms: keystead.KMSClient, s3: Any, bucket: str) -> None:
        self.kms, self.s3, self.bucket = kms, s3, bucket

    def context(self, customer_id: str) -> Dict[str, str]:
        return {"customer_id": customer_id, "purpose": PURPOSE}

    def put(self, customer: Dict[str, str]) -> str:
        data_key = self.kms.generate_data_key(
            KeyId=ALIAS, KeySpec="AES_256", EncryptionContext=self.context(customer["id"])
        )
        nonce = os.urandom(12)
        body = AESGCM(data_key["Plaintext"]).encrypt(nonce, json.dumps(customer).encode(), customer["id"].encode())
        del data_key["Plaintext"]  # the plaintext data key is not kept
        key = f"customers/{customer['id']}.json.enc"
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            Metadata={
                "encrypted-data-key": base64.b64encode(data_key["CiphertextBlob"]).decode(),
                "nonce": base64.b64encode(nonce).decode(),
                "key-material-id": data_key["KeyMaterialId"],
            },
        )
        return key

    def get(self, customer_id: str, context: Dict[str, str] | None = None) -> Dict[str, str]:
        obj = self.s3.get_object(Bucket=self.bucket, Key=f"customers/{customer_id}.json.enc")
        meta = obj["Metadata"]
        data_key = self.kms.decrypt(
            CiphertextBlob=base64.b64decode(meta["encrypted-data-key"]),
            EncryptionContext=context if context is not None else self.context(customer_id),
        )["Plaintext"]
        plaintext = AESGCM(data_key).decrypt(base64.b64decode(meta["nonce"]), obj["Body"].read(), customer_id.encode())
        record: Dict[str, str] = json.loads(plaintext)
        return record


EXPORT_ROWS = int(os.environ.get("SHOP_EXPORT_ROWS", "1270000"))  # about 110 MiB of CSV (~91 bytes a row)


# Per customer: its id and the row's tail (card's last 4 digits, address), formatted once.
_ROW_PARTS = [(c["id"], f"{c['card'][-4:]},\"{c['address']}\"\n") for c in CUSTOMERS]


def order_row(n: int) -> bytes:
    """Row ``n`` of the nightly order export (deterministic, so any slice can be recomputed)."""
    customer_id, tail = _ROW_PARTS[n % len(_ROW_PARTS)]
    return (
        f"o-{n:09d},{customer_id},2026-11-28T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z,"
        f"SKU-{n * 7919 % 100000:05d},{1 + n % 5},{n * 2654435761 % 100000},{tail}"
    ).encode()


EXPORT_HEADER = b"order_id,customer_id,placed_at,sku,quantity,amount_cents,card_last4,ship_to\n"


class RowStream(io.RawIOBase):
    """A file object over the generated export (what put_object reads from; never held whole in
    memory). It hashes what it hands out and keeps a copy of the plaintext bytes in ``keep``
    (start, end), so the demo can check a ranged read against what was really written."""

    def __init__(self, count: int, keep: "tuple[int, int]") -> None:
        # Rows are made 4,096 at a time: one readinto per block, not per 100-byte row.
        self.blocks = (
            b"".join(order_row(n) for n in range(first, min(first + 4096, count))) for first in range(0, count, 4096)
        )
        self.pending, self.total, self.digest = EXPORT_HEADER, 0, hashlib.sha256()
        self.keep, self.kept = keep, bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            block = next(self.blocks, None)
            if block is None:
                return 0
            self.pending = block
        n = min(len(buffer), len(self.pending))
        chunk = self.pending[:n]
        buffer[:n] = chunk
        self.pending = self.pending[n:]
        start, end = self.keep
        if self.total < end and self.total + n > start:
            self.kept += chunk[max(0, start - self.total) : end - self.total]
        self.total += n
        self.digest.update(chunk)
        return n


class HashingSink(io.RawIOBase):
    """Where the export is downloaded to: hashes and counts, keeps nothing."""

    def __init__(self) -> None:
        self.total, self.digest = 0, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.digest.update(b)
        self.total += len(b)
        return len(b)


def main() -> int:
    store_path = os.environ.get("SHOP_KEYSTEAD_STORE", "target/ecommerce-keystead")
    endpoint = os.environ.get("SHOP_S3_ENDPOINT") or None
    bucket = os.environ.get("SHOP_BUCKET", "keystead-shop-demo")

    step("Setting up")
    kms = keystead.client(store_path=store_path)  # the one line that was boto3.client("kms")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    say(f"Keystead store: {store_path} (embedded; no KMS service involved)")
    say(f"S3: {endpoint or 'Amazon S3'}, bucket {bucket}")
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    try:
        key = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
        if key["KeyState"] == "Disabled":
            kms.enable_key(KeyId=key["KeyId"])
        say(f"Reusing KMS key {key['KeyId']} ({ALIAS})")
    except kms.exceptions.NotFoundException:
        key = kms.create_key(Description="Shop customer records", Tags=[{"TagKey": "app", "TagValue": "shop"}])[
            "KeyMetadata"
        ]
        kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
        say(f"Created KMS key {key['KeyId']} and alias {ALIAS}")
    shop = Shop(kms, s3, bucket)

    step("Storing customer records (one data key per record, context = customer id + purpose)")
    for customer in CUSTOMERS:
        object_key = shop.put(customer)
        size = s3.head_object(Bucket=bucket, Key=object_key)["ContentLength"]
        say(f"  {customer['id']}  {customer['name']:<14} card {masked(customer['card'])} -> s3://{bucket}/{object_key} ({size} bytes, ciphertext)")
    raw = s3.get_object(Bucket=bucket, Key="customers/c-1001.json.enc")["Body"].read()
    assert b"4111" not in raw and b"Lovelace" not in raw
    say("  The stored objects hold no card number or name in the clear.")

    step("Reading them back")
    for customer in CUSTOMERS:
        record = shop.get(customer["id"])
        assert record == customer
        say(f"  {record['id']}  {record['name']:<14} card {masked(record['card'])}  {record['address']}")

    step("Reading a record with the wrong encryption context")
    try:
        shop.get("c-1001", context={"customer_id": "c-1002", "purpose": PURPOSE})
        say("  UNEXPECTED: the read succeeded")
        return 1
    except kms.exceptions.InvalidCiphertextException as err:
        say(f"  Refused: {err.response['Error']['Code']} (the data key is bound to customer c-1001)")

    step("Rotating the KMS key")
    before = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["CurrentKeyMaterialId"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    after = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["CurrentKeyMaterialId"]
    say(f"  Key material {before[:12]}... -> {after[:12]}...")
    for customer in CUSTOMERS:
        assert shop.get(customer["id"]) == customer
    say("  Records written before the rotation still decrypt.")
    shop.put({"id": "c-1004", "name": "Katherine Johnson", "card": "6011 0000 0000 0004", "address": "Hampton, VA"})
    meta = s3.head_object(Bucket=bucket, Key="customers/c-1004.json.enc")["Metadata"]
    assert meta["key-material-id"] == after
    say(f"  A new record (c-1004) is encrypted under the new material {after[:12]}...")
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    say(f"  ListKeyRotations: {len(rotations)} rotation(s), latest {rotations[-1]['RotationDate']:%Y-%m-%d %H:%M:%S} UTC")

    step("Disabling the KMS key")
    kms.disable_key(KeyId=key["KeyId"])
    try:
        shop.get("c-1002")
        say("  UNEXPECTED: the read succeeded")
        return 1
    except kms.exceptions.DisabledException as err:
        say(f"  Reads stop: {err.response['Error']['Code']}: {err.response['Error']['Message']}")
    kms.enable_key(KeyId=key["KeyId"])
    assert shop.get("c-1002")["name"] == "Grace Hopper"
    say("  Enabled again: reads work.")

    step("Nightly order export: one large object, streamed (envelope format, S3 multipart upload)")
    export_key = "exports/orders-2026-11-28.csv.ks"
    export_context = {"export": "orders", "day": "2026-11-28"}
    part = 8 << 20
    # A plaintext window across the boundary of the first two 8 MiB segments, kept for checking.
    window = (part - 100, part + 100)
    source = RowStream(EXPORT_ROWS, keep=window)
    started = time.perf_counter()
    keystead_s3.put_object(
        s3, kms.store, ALIAS, Bucket=bucket, Key=export_key, Body=io.BufferedReader(source, 1 << 20),
        encryption_context=export_context, part_size=part,
    )
    seconds = time.perf_counter() - started
    head = s3.head_object(Bucket=bucket, Key=export_key)
    parts = head["ETag"].strip('"').partition("-")[2] or "1"
    mib = source.total / 2**20
    say(f"  {mib:.1f} MiB generated and sealed on the fly in 8 MiB segments, uploaded in {parts} parts")
    say(f"  ({seconds:.1f} s, {mib / seconds:.0f} MiB/s; memory stays at a few segments)")
    say(f"  Stored object: {head['ContentLength']} bytes ({head['ContentLength'] - source.total} bytes of envelope overhead)")
    started = time.perf_counter()
    got = keystead_s3.get_object(
        s3, kms.store, Bucket=bucket, Key=export_key, encryption_context=export_context, range=window
    )
    assert got == bytes(source.kept) and len(got) == window[1] - window[0]
    say(
        f"  Ranged read of plaintext bytes {window[0]}-{window[1] - 1} (across two segments): header and the two "
        f"segments fetched, {len(got)} bytes verified in {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    tail = keystead_s3.get_object(
        s3, kms.store, Bucket=bucket, Key=export_key, encryption_context=export_context,
        range=(source.total - 200, source.total),
    )
    last_row = order_row(EXPORT_ROWS - 1)
    assert tail.endswith(last_row)
    say(f"  Ranged read of the last 200 bytes: ...{last_row.decode()[:48]}...")
    started = time.perf_counter()
    sink = HashingSink()
    keystead_s3.download_fileobj(
        s3, kms.store, Bucket=bucket, Key=export_key, Fileobj=sink, encryption_context=export_context
    )
    assert sink.digest.digest() == source.digest.digest() and sink.total == source.total
    say(
        f"  Downloaded and verified all {sink.total / 2**20:.1f} MiB in {time.perf_counter() - started:.1f} s, "
        "a segment at a time (SHA-256 matches)"
    )

    step("Done")
    say("Every step behaved as expected.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
