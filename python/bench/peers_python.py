"""Keystead from Python next to its Python peers, in alternating rounds (issue 10).

`make bench` (bench/run.sh) runs this in its own venv (target/bench-venv-peers) holding the
peers and a release build of keystead, and writes bench/RESULTS.md from the JSON it prints.

    python peers_python.py record   # 1 KiB record: Keystead vs cryptography / ESDK / tink
    python peers_python.py large    # 1 MiB and 64 MiB objects
    python peers_python.py sign     # ECDSA P-256 / Ed25519 sign and verify vs cryptography

Method: every case of a workload is calibrated to about BENCH_TARGET_MS per round, then all
cases run one after another, round after round (BENCH_ROUNDS, default 7; 5 for 64 MiB), so that
load from other processes hits every case alike. The median round counts; ratios are ratios of
medians. A peer that cannot be imported is reported with its error instead of figures.
The last stdout line is one JSON object: {"bench", "versions", "results", "unavailable"}.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

import keystead

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
TARGET_S = float(os.environ.get("BENCH_TARGET_MS", "200")) / 1000
CONTEXT = {"tenant": "acme-corp", "purpose": "customer-record"}
AAD = json.dumps(CONTEXT, sort_keys=True).encode()

Case = Tuple[str, Callable[[], object]]
RESULTS: List[Dict[str, Any]] = []
UNAVAILABLE: Dict[str, str] = {}


def measure(workload: str, cases: List[Case], size: int = 0, rounds: int = ROUNDS, overhead: Optional[Dict[str, int]] = None) -> None:
    """Calibrates each case to TARGET_S per round, runs the cases round-robin and records the
    median seconds per call of each."""
    counts = []
    for _, fn in cases:
        n = 1
        while True:
            start = time.perf_counter()
            for _ in range(n):
                fn()
            elapsed = time.perf_counter() - start
            if elapsed >= TARGET_S / 10 or n >= 1 << 24:
                counts.append(max(1, int(TARGET_S / (elapsed / n))))
                break
            n *= 2
    samples: List[List[float]] = [[] for _ in cases]
    cpu: List[float] = []
    wall: List[float] = []
    for _ in range(rounds):
        for i, (_, fn) in enumerate(cases):
            n = counts[i]
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(n):
                fn()
            w1, c1 = time.perf_counter(), time.process_time()
            samples[i].append((w1 - w0) / n * 1e9)
            cpu.append(c1 - c0)
            wall.append(w1 - w0)
    cpu_wall = sum(cpu) / max(sum(wall), 1e-9)
    for i, (name, _) in enumerate(cases):
        med = statistics.median(samples[i])
        RESULTS.append(
            {
                "workload": workload,
                "case": name,
                "bytes": size,
                "ops_per_round": counts[i],
                "samples_ns": samples[i],
                "median_ns": med,
                "overhead_bytes": (overhead or {}).get(name),
                "cpu_wall": cpu_wall,
            }
        )
        print(f"{workload:>28} | {name:<58} {med / 1000:12.1f} us/op", file=sys.stderr)
    print(f"{workload:>28} | cpu/wall {cpu_wall:.2f}", file=sys.stderr)


def available(name: str, build: Callable[[], Any]) -> Any:
    """Builds a peer; on failure records why (a missing peer is reported, never silently
    dropped) and returns None."""
    try:
        return build()
    except Exception as exc:  # noqa: BLE001 - any failure to set a peer up is reported as such
        UNAVAILABLE[name] = f"{type(exc).__name__}: {exc}".strip()
        traceback.print_exc(file=sys.stderr)
        return None


# ---------------------------------------------------------------- peers


class HandWritten:
    """The hand-written envelope with `cryptography`: a fresh 32-byte data key per message,
    the message sealed with AESGCM(data key), the data key wrapped by a local AES-256-GCM key,
    serialized as ver|kid_len|kid|wrap_nonce|wrapped_dek|nonce|ct+tag with header and context as
    AAD (the format measured in shared/research/perf-baselines.md)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.AESGCM = AESGCM
        self.kid = b"local-wrapping-key"
        self.wrapping = AESGCM(AESGCM.generate_key(bit_length=256))

    def encrypt(self, plaintext: bytes) -> bytes:
        dek = os.urandom(32)
        header = b"\x01" + bytes([len(self.kid)]) + self.kid
        wrap_nonce = os.urandom(12)
        wrapped = self.wrapping.encrypt(wrap_nonce, dek, header)
        nonce = os.urandom(12)
        head = header + wrap_nonce + wrapped + nonce
        return head + self.AESGCM(dek).encrypt(nonce, plaintext, head + AAD)

    def decrypt(self, message: bytes) -> bytes:
        kid_len = message[1]
        header = message[: 2 + kid_len]
        at = 2 + kid_len
        wrap_nonce, wrapped, nonce = message[at : at + 12], message[at + 12 : at + 60], message[at + 60 : at + 72]
        dek = self.wrapping.decrypt(wrap_nonce, wrapped, header)
        return self.AESGCM(dek).decrypt(nonce, message[at + 72 :], message[: at + 72] + AAD)


class Esdk:
    """The AWS Encryption SDK: `mpl` = the MPL RawAESKeyring (recommended), `legacy` = the older
    RawMasterKey; `signed` = the default suite (key commitment + ECDSA P-384), else the
    unsigned committing suite."""

    def __init__(self, provider: str, signed: bool) -> None:
        import aws_encryption_sdk
        from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy

        self.client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
        self.algorithm = None if signed else Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
        key = os.urandom(32)
        if provider == "mpl":
            from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
            from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
            from aws_cryptographic_material_providers.mpl.models import AesWrappingAlg, CreateRawAesKeyringInput

            mpl = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
            keyring = mpl.create_raw_aes_keyring(
                input=CreateRawAesKeyringInput(
                    key_namespace="bench", key_name="local", wrapping_key=key, wrapping_alg=AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16
                )
            )
            self.provider: Dict[str, Any] = {"keyring": keyring}
        else:
            from aws_encryption_sdk.identifiers import EncryptionKeyType, WrappingAlgorithm
            from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
            from aws_encryption_sdk.key_providers.raw import RawMasterKey

            wrapping = WrappingKey(
                wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
                wrapping_key=key,
                wrapping_key_type=EncryptionKeyType.SYMMETRIC,
            )
            self.provider = {"key_provider": RawMasterKey(provider_id="bench", key_id=b"local", wrapping_key=wrapping)}

    def encrypt(self, plaintext: bytes) -> bytes:
        extra = {} if self.algorithm is None else {"algorithm": self.algorithm}
        ciphertext, _ = self.client.encrypt(source=plaintext, encryption_context=CONTEXT, **self.provider, **extra)
        return bytes(ciphertext)

    def decrypt(self, message: bytes) -> bytes:
        plaintext, _ = self.client.decrypt(source=message, **self.provider)
        return bytes(plaintext)


class Tink:
    """tink AEAD (AES256_GCM), or KmsEnvelopeAead with a second local tink AEAD as the
    remote "KMS"."""

    def __init__(self, envelope: bool) -> None:
        import tink
        from tink import aead

        aead.register()
        template = aead.aead_key_templates.AES256_GCM
        local = tink.new_keyset_handle(template).primitive(aead.Aead)
        self.primitive = aead.KmsEnvelopeAead(template, local) if envelope else local

    def encrypt(self, plaintext: bytes) -> bytes:
        return self.primitive.encrypt(plaintext, AAD)

    def decrypt(self, message: bytes) -> bytes:
        return self.primitive.decrypt(message, AAD)


class KeysteadEncrypt:
    """Keystead's `Encrypt` (the record sealed under the KMS key: per-call HKDF data key,
    AES-256-GCM, the context bound) through the typed API."""

    def __init__(self, store: keystead.Keystead) -> None:
        self.store = store
        self.key_id = store.create_key().key_id

    def encrypt(self, plaintext: bytes) -> bytes:
        return self.store.encrypt(self.key_id, plaintext, encryption_context=CONTEXT).ciphertext_blob

    def decrypt(self, message: bytes) -> bytes:
        return self.store.decrypt(message, encryption_context=CONTEXT).plaintext


class KeysteadEnvelope:
    """Keystead's envelope message (GenerateDataKey + segment AES-256-GCM), keystead.stream."""

    def __init__(self, store: keystead.Keystead) -> None:
        from keystead.stream import envelope_open, envelope_seal

        self.seal, self.open = envelope_seal, envelope_open
        self.store = store
        self.key_id = store.create_key().key_id

    def encrypt(self, plaintext: bytes) -> bytes:
        return self.seal(self.store, self.key_id, plaintext, encryption_context=CONTEXT)

    def decrypt(self, message: bytes) -> bytes:
        return self.open(self.store, message, encryption_context=CONTEXT)


def peers(sizes_for_esdk_legacy: bool = True) -> List[Tuple[str, Any]]:
    folder = tempfile.mkdtemp(prefix="keystead-peers-")
    atexit.register(shutil.rmtree, folder, True)
    memory = keystead.Keystead.in_memory()
    on_disk = keystead.Keystead(os.path.join(folder, "store"))
    candidates: List[Tuple[str, Callable[[], Any]]] = [
        ("keystead Encrypt, in-memory store", lambda: KeysteadEncrypt(memory)),
        ("keystead Encrypt, folder store (defaults)", lambda: KeysteadEncrypt(on_disk)),
        ("keystead envelope_seal, in-memory store", lambda: KeysteadEnvelope(memory)),
        ("hand-written cryptography envelope", HandWritten),
        ("tink AEAD AES256_GCM (no envelope)", lambda: Tink(False)),
        ("tink KmsEnvelopeAead", lambda: Tink(True)),
        ("ESDK mpl RawAESKeyring, default suite (P-384 signed)", lambda: Esdk("mpl", True)),
        ("ESDK legacy RawMasterKey, unsigned suite", lambda: Esdk("legacy", False)),
    ]
    out = []
    for name, build in candidates:
        peer = available(name, build)
        if peer is not None:
            out.append((name, peer))
    return out


def round_trip_cases(workload: str, plaintext: bytes, chosen: List[Tuple[str, Any]], rounds: int = ROUNDS) -> None:
    """Encrypt cases, then decrypt cases, each peer checked to round-trip first."""
    messages = {}
    for name, peer in chosen:
        message = peer.encrypt(plaintext)
        assert peer.decrypt(message) == plaintext, name
        messages[name] = message
    overhead = {f"{name} encrypt": len(messages[name]) - len(plaintext) for name, _ in chosen}
    encrypt_cases: List[Case] = [(f"{name} encrypt", (lambda p=peer: p.encrypt(plaintext))) for name, peer in chosen]
    decrypt_cases: List[Case] = [(f"{name} decrypt", (lambda p=peer, m=messages[name]: p.decrypt(m))) for name, peer in chosen]
    measure(f"{workload} encrypt", encrypt_cases, len(plaintext), rounds, overhead)
    measure(f"{workload} decrypt", decrypt_cases, len(plaintext), rounds)


def record() -> None:
    plaintext = os.urandom(1024)
    round_trip_cases("Python 1 KiB record", plaintext, peers())


def large() -> None:
    chosen = [
        (name, peer)
        for name, peer in peers()
        if not name.startswith("keystead Encrypt") and not name.startswith("tink AEAD")  # Encrypt takes at most 4 KiB
    ]
    round_trip_cases("Python 1 MiB object", os.urandom(1 << 20), chosen)
    # At 64 MiB one ESDK call takes seconds on a loaded 2-core machine: only its default
    # configuration is measured there (the unsigned legacy suite is in the 1 MiB table).
    big = [(name, peer) for name, peer in chosen if not name.startswith("ESDK legacy")]
    round_trip_cases("Python 64 MiB object", os.urandom(64 << 20), big, int(os.environ.get("BENCH_ROUNDS_BIG", "5")))


def sign() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    store = keystead.Keystead.in_memory()
    message = b"\x42" * 32
    for spec, algorithm, label in [
        ("ECC_NIST_P256", "ECDSA_SHA_256", "ECDSA P-256"),
        ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "Ed25519"),
    ]:
        key_id = store.create_key(key_spec=spec, key_usage="SIGN_VERIFY").key_id
        signature = store.sign(key_id, message, signing_algorithm=algorithm).signature
        if label == "Ed25519":
            private: Any = ed25519.Ed25519PrivateKey.generate()
            c_sign: Callable[[], bytes] = lambda k=private: k.sign(message)  # noqa: E731
            c_sig = c_sign()
            public = private.public_key()
            c_verify: Callable[[], object] = lambda: public.verify(c_sig, message)  # noqa: E731
        else:
            private = ec.generate_private_key(ec.SECP256R1())
            c_sign = lambda k=private: k.sign(message, ec.ECDSA(hashes.SHA256()))  # noqa: E731
            c_sig = c_sign()
            public = private.public_key()
            c_verify = lambda: public.verify(c_sig, message, ec.ECDSA(hashes.SHA256()))  # noqa: E731
        measure(
            f"Python {label} sign",
            [
                ("keystead sign (in-memory store)", lambda k=key_id, a=algorithm: store.sign(k, message, signing_algorithm=a)),
                ("cryptography sign (key loaded once)", c_sign),
            ],
        )
        measure(
            f"Python {label} verify",
            [
                ("keystead verify (in-memory store)", lambda k=key_id, a=algorithm, s=signature: store.verify(k, message, s, signing_algorithm=a)),
                ("cryptography verify (key loaded once)", c_verify),
            ],
        )


def versions() -> Dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for dist in ["keystead", "cryptography", "aws-encryption-sdk", "aws-cryptographic-material-providers", "tink", "protobuf"]:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    try:
        from cryptography.hazmat.backends.openssl.backend import backend

        out["cryptography OpenSSL"] = backend.openssl_version_text()
    except Exception as exc:  # noqa: BLE001
        out["cryptography OpenSSL"] = f"unknown ({exc})"
    return out


def main() -> None:
    bench = sys.argv[1] if len(sys.argv) > 1 else "record"
    {"record": record, "large": large, "sign": sign}[bench]()
    print(json.dumps({"bench": f"python-{bench}", "versions": versions(), "results": RESULTS, "unavailable": UNAVAILABLE}))


if __name__ == "__main__":
    main()
