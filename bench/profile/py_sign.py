"""About 5 s of Keystead Sign from Python (in-memory store) with the key spec named by argv[1]
("ECDSA P-256" or "Ed25519"): what bench/report.py profiles when a sign goal is missed."""

import sys
import time

import keystead

spec, algorithm = {"ECDSA P-256": ("ECC_NIST_P256", "ECDSA_SHA_256"), "Ed25519": ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512")}[sys.argv[1]]
store = keystead.Keystead.in_memory()
key_id = store.create_key(key_spec=spec, key_usage="SIGN_VERIFY").key_id
end = time.time() + 5
while time.time() < end:
    for _ in range(200):
        store.sign(key_id, b"\x42" * 32, signing_algorithm=algorithm)
