"""Per-call cost of the Python binding layers (in-memory store): the typed API
(`Keystead.encrypt`), the native method it calls (`Keystead._native.encrypt`), and a bare
`cryptography` AES-256-GCM of the same record for scale. Usage:

    python bench/profile/py_percall.py [rounds]

Prints the best of `rounds` (default 7) timeit runs per row, in µs per call. The difference
between the typed and the native row is the Python wrapper (argument checks, result object);
the native row minus the core's own time is the PyO3 layer (argument conversion, copies, GIL,
result dict)."""

import os
import sys
import timeit

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import keystead

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
store = keystead.Keystead.in_memory()
native = store._native
key_id = store.create_key().key_id
record = os.urandom(1024)
context = {"tenant": "acme-corp", "purpose": "customer-record"}
blob = store.encrypt(key_id, record, encryption_context=context).ciphertext_blob
p256 = store.create_key(key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY").key_id
ed = store.create_key(key_spec="ECC_NIST_EDWARDS25519", key_usage="SIGN_VERIFY").key_id
message = b"\x42" * 32
plain_blob = store.encrypt(key_id, record).ciphertext_blob
hmac = store.create_key(key_spec="HMAC_256", key_usage="GENERATE_VERIFY_MAC").key_id
mac = store.generate_mac(hmac, message, mac_algorithm="HMAC_SHA_256").mac
sealed = keystead.envelope_seal(store, key_id, record, encryption_context=context)
p256_signature = store.sign(p256, message, signing_algorithm="ECDSA_SHA_256").signature
aead = AESGCM(AESGCM.generate_key(256))
ec_key = ec.generate_private_key(ec.SECP256R1())
ed_key = ed25519.Ed25519PrivateKey.generate()



def core_loop(calls: int = 1000) -> float:
    # The private benchmark hook: the same Encrypt (no context) in a Rust loop without Python.
    return native._time_encrypt(key_id, record, calls) / calls


rows = {
    "typed encrypt 1 KiB + context": lambda: store.encrypt(key_id, record, encryption_context=context),
    "native encrypt 1 KiB + context": lambda: native.encrypt(key_id, record, context, None, None, False),
    "typed encrypt 1 KiB": lambda: store.encrypt(key_id, record),
    "native encrypt 1 KiB": lambda: native.encrypt(key_id, record, None, None, None, False),
    "typed decrypt 1 KiB + context": lambda: store.decrypt(blob, encryption_context=context),
    "native decrypt 1 KiB + context": lambda: native.decrypt(blob, context, None, None, None, False),
    "typed decrypt 1 KiB": lambda: store.decrypt(plain_blob),
    "typed re_encrypt 1 KiB + context": lambda: store.re_encrypt(
        blob, key_id, source_encryption_context=context, destination_encryption_context=context
    ),
    "typed generate_data_key + context": lambda: store.generate_data_key(key_id, encryption_context=context),
    "typed generate_data_key_without_plaintext": lambda: store.generate_data_key_without_plaintext(key_id),
    "typed generate_mac HMAC_256 32 B": lambda: store.generate_mac(hmac, message, mac_algorithm="HMAC_SHA_256"),
    "typed verify_mac HMAC_256 32 B": lambda: store.verify_mac(hmac, message, mac, mac_algorithm="HMAC_SHA_256"),
    "envelope_seal 1 KiB + context": lambda: keystead.envelope_seal(store, key_id, record, encryption_context=context),
    "envelope_open 1 KiB + context": lambda: keystead.envelope_open(store, sealed, encryption_context=context),
    "typed verify P-256": lambda: store.verify(p256, message, p256_signature, signing_algorithm="ECDSA_SHA_256"),
    "typed sign P-256": lambda: store.sign(p256, message, signing_algorithm="ECDSA_SHA_256"),
    "native sign P-256": lambda: native.sign(p256, message, "ECDSA_SHA_256", None, None, False),
    "typed sign Ed25519": lambda: store.sign(ed, message, signing_algorithm="ED25519_SHA_512"),
    "native sign Ed25519": lambda: native.sign(ed, message, "ED25519_SHA_512", None, None, False),
    "cryptography AES-GCM 1 KiB (nonce + seal)": lambda: aead.encrypt(os.urandom(12), record, None),
    "cryptography sign P-256": lambda: ec_key.sign(message, ec.ECDSA(hashes.SHA256())),
    "cryptography sign Ed25519": lambda: ed_key.sign(message),
}
best_core = min(core_loop() for _ in range(ROUNDS))
print(f"{'core Encrypt 1 KiB, Rust loop (no Python)':45} {best_core * 1e6:9.2f} µs")
for name, call in rows.items():
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    best = min(timer.repeat(ROUNDS, number)) / number
    print(f"{name:45} {best * 1e6:9.2f} µs")
