"""boto3 and the aws CLI over HTTPS: keystead serve with --tls-cert/--tls-key (a second server
on the same data folder, started by server/test.sh), trusting the test CA via verify= and
--ca-bundle."""

import base64
import json

import botocore.exceptions
import pytest

from conftest import TLS_CA_FILE, TLS_URL, make_client
from test_awscli import aws


def test_boto3_over_https():
    assert TLS_URL.startswith("https://127.0.0.1:")
    kms = make_client(endpoint=TLS_URL, verify=TLS_CA_FILE)
    key = kms.create_key(Description="boto3 over tls")["KeyMetadata"]
    sealed = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"tls secret", EncryptionContext={"via": "tls"})
    opened = kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"via": "tls"})
    assert opened["Plaintext"] == b"tls secret"
    assert opened["KeyId"] == key["Arn"]
    # The same store behind both listeners: the plain server decrypts what came in over TLS.
    assert make_client().decrypt(CiphertextBlob=sealed["CiphertextBlob"],
                                 EncryptionContext={"via": "tls"})["Plaintext"] == b"tls secret"
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId="alias/not-there")


def test_boto3_refuses_an_untrusted_certificate():
    # Without the test CA, botocore's default trust store has no issuer for the certificate.
    with pytest.raises(botocore.exceptions.SSLError):
        make_client(endpoint=TLS_URL).list_keys()


def test_plain_http_to_the_tls_port_fails_cleanly():
    plain = make_client(endpoint=TLS_URL.replace("https://", "http://"))
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        plain.list_keys()
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The TLS server is still up.
    assert "Keys" in make_client(endpoint=TLS_URL, verify=TLS_CA_FILE).list_keys()


def test_aws_cli_over_https(tmp_path):
    def out(*args):
        return json.loads(aws(*args, endpoint=TLS_URL, ca_bundle=TLS_CA_FILE).stdout)

    key = out("create-key", "--description", "cli over tls")["KeyMetadata"]
    plaintext = tmp_path / "secret.txt"
    plaintext.write_bytes(b"cli tls secret")
    sealed = out("encrypt", "--key-id", key["KeyId"], "--plaintext", f"fileb://{plaintext}",
                 "--encryption-context", "via=cli")
    blob = tmp_path / "secret.bin"
    blob.write_bytes(base64.b64decode(sealed["CiphertextBlob"]))
    opened = out("decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "via=cli")
    assert base64.b64decode(opened["Plaintext"]) == b"cli tls secret"
