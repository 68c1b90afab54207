"""Cross-check of ED25519_PH_SHA_512 and ML-DSA EXTERNAL_MU signatures made through the
`keystead` CLI against two independent implementations: PyCryptodome (Ed25519ph, RFC 8032) and
pyca/cryptography >= 46 (ML-DSA with mu, on the OpenSSL 3.5+ inside its wheel).

Not part of `make test` (it needs those two packages and a built CLI). Run:
    python3 -m venv target/xcheck && target/xcheck/bin/pip install pycryptodome cryptography
    cargo build -p keystead-cli && target/xcheck/bin/python core/tests/tools/crosscheck_signatures.py target/debug/keystead
Prints one PASS/FAIL line per check and `N passed, M failed`; exits 1 on any failure."""
import base64, hashlib, json, os, subprocess, sys, tempfile

from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa
from Crypto.Hash import SHA512
from cryptography.hazmat.primitives.serialization import load_der_public_key, Encoding, PublicFormat
from cryptography.hazmat.primitives.asymmetric import mldsa, ed25519

CLI = sys.argv[1]
store = os.path.join(tempfile.mkdtemp(), "store")
subprocess.run([CLI, "init", "--store", store], check=True, capture_output=True)
ok = fail = 0

def kms(*args):
    out = subprocess.run([CLI, "--store", store, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return json.loads(out.stdout) if out.stdout.strip() else {}

def check(name, cond):
    global ok, fail
    print(("PASS " if cond else "FAIL ") + name)
    if cond: ok += 1
    else: fail += 1

b64 = lambda b: base64.b64encode(b).decode()

# Ed25519ph
key = kms("create-key", "--key-spec", "ECC_NIST_EDWARDS25519", "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
spki = base64.b64decode(kms("get-public-key", "--key-id", key)["PublicKey"])
digest = hashlib.sha512(b"release 1.4.2").digest()
sig = base64.b64decode(kms("sign", "--key-id", key, "--message", b64(digest), "--message-type", "DIGEST",
                           "--signing-algorithm", "ED25519_PH_SHA_512")["Signature"])
pub = ECC.import_key(spki)
verifier = eddsa.new(pub, "rfc8032")
try:
    verifier.verify(SHA512.new(digest), sig)  # a SHA512 hash object selects Ed25519ph
    check("PyCryptodome verifies our Ed25519ph signature over SHA-512(digest)", True)
except ValueError:
    check("PyCryptodome verifies our Ed25519ph signature over SHA-512(digest)", False)
# A key made elsewhere, imported (BYOK): PyCryptodome's Ed25519ph signature verifies with us,
# and ours is byte-identical to it (Ed25519 is deterministic).
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives import hashes, serialization
theirs = ed25519.Ed25519PrivateKey.generate()
pkcs8 = theirs.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
ext = kms("create-key", "--key-spec", "ECC_NIST_EDWARDS25519", "--key-usage", "SIGN_VERIFY",
          "--origin", "EXTERNAL")["KeyMetadata"]["KeyId"]
params = kms("get-parameters-for-import", "--key-id", ext, "--wrapping-algorithm", "RSAES_OAEP_SHA_256",
             "--wrapping-key-spec", "RSA_2048")
wrapping = load_der_public_key(base64.b64decode(params["PublicKey"]))
wrapped = wrapping.encrypt(pkcs8, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
kms("import-key-material", "--key-id", ext, "--import-token", params["ImportToken"],
    "--encrypted-key-material", b64(wrapped), "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
their_sig = eddsa.new(ECC.import_key(pkcs8), "rfc8032").sign(SHA512.new(digest))
out = kms("verify", "--key-id", ext, "--message", b64(digest), "--message-type", "DIGEST",
          "--signature", b64(their_sig), "--signing-algorithm", "ED25519_PH_SHA_512")
check("Keystead verifies PyCryptodome's Ed25519ph signature", out.get("SignatureValid") is True)
our_sig = base64.b64decode(kms("sign", "--key-id", ext, "--message", b64(digest), "--message-type", "DIGEST",
                               "--signing-algorithm", "ED25519_PH_SHA_512")["Signature"])
check("Keystead's Ed25519ph signature equals PyCryptodome's for the same key", our_sig == their_sig)
try:
    ed25519.Ed25519PublicKey.from_public_bytes(load_der_public_key(spki).public_bytes_raw()).verify(sig, digest)
    check("a pure Ed25519 verifier rejects the Ed25519ph signature", False)
except Exception:
    check("a pure Ed25519 verifier rejects the Ed25519ph signature", True)

# ML-DSA EXTERNAL_MU
message = b"firmware image 7"
for spec, cls in [("ML_DSA_44", mldsa.MLDSA44PublicKey), ("ML_DSA_65", mldsa.MLDSA65PublicKey),
                  ("ML_DSA_87", mldsa.MLDSA87PublicKey)]:
    key = kms("create-key", "--key-spec", spec, "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    spki = base64.b64decode(kms("get-public-key", "--key-id", key)["PublicKey"])
    pub = load_der_public_key(spki)
    hasher = mldsa.MLDSAMuHasher(pub)
    hasher.update(message)
    mu = hasher.finalize()
    tr = hashlib.shake_256(pub.public_bytes_raw()).digest(64)
    check(f"{spec}: cryptography's mu equals SHAKE256(tr || 00 00 || M)",
          mu == hashlib.shake_256(tr + b"\0\0" + message).digest(64))
    sig = base64.b64decode(kms("sign", "--key-id", key, "--message", b64(mu), "--message-type", "EXTERNAL_MU",
                               "--signing-algorithm", "ML_DSA_SHAKE_256")["Signature"])
    try:
        pub.verify(sig, message); pub.verify_mu(sig, mu)
        check(f"{spec}: cryptography verifies our EXTERNAL_MU signature as a signature of M and of mu", True)
    except Exception as e:
        check(f"{spec}: cryptography verifies our EXTERNAL_MU signature ({e!r})", False)
    raw = base64.b64decode(kms("sign", "--key-id", key, "--message", b64(message),
                               "--signing-algorithm", "ML_DSA_SHAKE_256")["Signature"])
    out = kms("verify", "--key-id", key, "--message", b64(mu), "--message-type", "EXTERNAL_MU",
              "--signature", b64(raw), "--signing-algorithm", "ML_DSA_SHAKE_256")
    check(f"{spec}: our EXTERNAL_MU Verify accepts our RAW signature", out.get("SignatureValid") is True)
print(f"{ok} passed, {fail} failed")
sys.exit(1 if fail else 0)
