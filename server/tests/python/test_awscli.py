"""The aws CLI (awscli from pip), unmodified, against keystead serve with --endpoint-url."""

import base64
import json
import os
import subprocess
import uuid

from conftest import ACCESS_KEY_ID, SECRET_ACCESS_KEY, URL

# aws-cli v1 (what pip installs as awscli) exits 255 on a service error; v2 exits 254.
SERVICE_ERROR = 255


def aws(*args, check=True, region="us-east-1", endpoint=URL, ca_bundle=None):
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_MAX_ATTEMPTS": "1",
    })
    tls = ["--ca-bundle", ca_bundle] if ca_bundle else []
    done = subprocess.run(["aws", "kms", *args, "--endpoint-url", endpoint, *tls, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"aws kms {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done


def out(*args):
    text = aws(*args).stdout
    return json.loads(text) if text.strip() else None


def test_cli_scenario(tmp_path):
    key = out("create-key", "--description", "cli")["KeyMetadata"]
    alias = "alias/cli-" + uuid.uuid4().hex[:8]
    out("create-alias", "--alias-name", alias, "--target-key-id", key["KeyId"])
    assert alias in [a["AliasName"] for a in out("list-aliases", "--key-id", key["KeyId"])["Aliases"]]

    plaintext = tmp_path / "card.txt"
    plaintext.write_bytes(b"4111 1111 1111 1111")
    sealed = out("encrypt", "--key-id", alias, "--plaintext", f"fileb://{plaintext}",
                 "--encryption-context", "order=42")
    blob = tmp_path / "card.bin"
    blob.write_bytes(base64.b64decode(sealed["CiphertextBlob"]))
    opened = out("decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "order=42")
    assert base64.b64decode(opened["Plaintext"]) == b"4111 1111 1111 1111"
    assert opened["KeyId"] == key["Arn"]

    failed = aws("decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "order=43", check=False)
    assert failed.returncode == SERVICE_ERROR
    assert "(InvalidCiphertextException) when calling the Decrypt operation" in failed.stderr

    data_key = out("generate-data-key", "--key-id", key["KeyId"], "--key-spec", "AES_256")
    assert len(base64.b64decode(data_key["Plaintext"])) == 32

    policy = json.loads(out("get-key-policy", "--key-id", key["KeyId"], "--policy-name", "default")["Policy"])
    assert policy["Statement"][0]["Effect"] == "Allow"
    grant = out("create-grant", "--key-id", key["KeyId"], "--grantee-principal",
                "arn:aws:iam::444455556666:role/partner", "--operations", "Decrypt")
    grants = out("list-grants", "--key-id", key["KeyId"])["Grants"]
    assert [g["GrantId"] for g in grants] == [grant["GrantId"]]

    out("enable-key-rotation", "--key-id", key["KeyId"])
    assert out("get-key-rotation-status", "--key-id", key["KeyId"])["KeyRotationEnabled"] is True

    signer = out("create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY")["KeyMetadata"]
    message = tmp_path / "release.txt"
    message.write_bytes(b"release 2.0")
    signature = out("sign", "--key-id", signer["KeyId"], "--message", f"fileb://{message}",
                    "--signing-algorithm", "ECDSA_SHA_384")["Signature"]
    sig_file = tmp_path / "sig.bin"
    sig_file.write_bytes(base64.b64decode(signature))
    verified = out("verify", "--key-id", signer["KeyId"], "--message", f"fileb://{message}",
                   "--signature", f"fileb://{sig_file}", "--signing-algorithm", "ECDSA_SHA_384")
    assert verified["SignatureValid"] is True

    out("schedule-key-deletion", "--key-id", key["KeyId"], "--pending-window-in-days", "7")
    assert out("describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_cli_errors():
    missing = aws("describe-key", "--key-id", str(uuid.uuid4()), check=False)
    assert missing.returncode == SERVICE_ERROR
    assert "(NotFoundException) when calling the DescribeKey operation" in missing.stderr
    env_secret = SECRET_ACCESS_KEY
    bad = subprocess.run(
        ["aws", "kms", "list-keys", "--endpoint-url", URL],
        env={**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": env_secret[::-1],
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
             "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_MAX_ATTEMPTS": "1"},
        capture_output=True, text=True, timeout=60)
    assert bad.returncode == SERVICE_ERROR and "(InvalidSignatureException)" in bad.stderr
