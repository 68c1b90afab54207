// The AWS SDK for JavaScript v3 (@aws-sdk/client-kms), unmodified, against keystead serve.
// server/test.sh starts the server and passes its address and an access key in the environment.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisabledException,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  InvalidCiphertextException,
  KMSClient,
  ListAliasesCommand,
  NotFoundException,
  ReEncryptCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from "@aws-sdk/client-kms";

const endpoint = process.env.KEYSTEAD_URL;
const accessKeyId = process.env.KEYSTEAD_ACCESS_KEY_ID;
const secretAccessKey = process.env.KEYSTEAD_SECRET_ACCESS_KEY;

function client({ region = "us-east-1", secret = secretAccessKey, keyId = accessKeyId } = {}) {
  return new KMSClient({ endpoint, region, credentials: { accessKeyId: keyId, secretAccessKey: secret }, maxAttempts: 1 });
}

const kms = client();
const enc = new TextEncoder();
const dec = new TextDecoder();

test("lifecycle, aliases and encryption with context", async () => {
  const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({ Description: "js" }));
  assert.equal(key.KeyState, "Enabled");
  assert.ok(key.CreationDate instanceof Date);
  assert.match(key.Arn, new RegExp(`^arn:aws:kms:us-east-1:\\d{12}:key/${key.KeyId}$`));
  const alias = `alias/js-${randomUUID().slice(0, 8)}`;
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
  const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId }));
  assert.deepEqual(Aliases.map((a) => a.AliasName), [alias]);

  const context = { order: "42" };
  const sealed = await kms.send(new EncryptCommand({ KeyId: alias, Plaintext: enc.encode("secret"), EncryptionContext: context }));
  assert.ok(sealed.CiphertextBlob instanceof Uint8Array);
  const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
  assert.equal(dec.decode(opened.Plaintext), "secret");
  assert.equal(opened.KeyId, key.Arn);
  await assert.rejects(
    kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { order: "43" } })),
    InvalidCiphertextException,
  );

  const { KeyMetadata: other } = await kms.send(new CreateKeyCommand({}));
  const moved = await kms.send(new ReEncryptCommand({
    CiphertextBlob: sealed.CiphertextBlob,
    SourceEncryptionContext: context,
    DestinationKeyId: other.KeyId,
  }));
  assert.equal(moved.SourceKeyId, key.Arn);
  const reopened = await kms.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob }));
  assert.equal(dec.decode(reopened.Plaintext), "secret");

  await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
  await assert.rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: enc.encode("x") })), DisabledException);
});

test("data keys, signatures and MACs", async () => {
  const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({}));
  const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
  assert.equal(dataKey.Plaintext.length, 32);
  const back = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
  assert.deepEqual(Buffer.from(back.Plaintext), Buffer.from(dataKey.Plaintext));

  const { KeyMetadata: signer } = await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }));
  const message = enc.encode("release 3.0");
  const { Signature } = await kms.send(new SignCommand({ KeyId: signer.KeyId, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }));
  const verified = await kms.send(new VerifyCommand({ KeyId: signer.KeyId, Message: message, Signature, SigningAlgorithm: "ECDSA_SHA_256" }));
  assert.equal(verified.SignatureValid, true);

  const { KeyMetadata: mac } = await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_384", KeyUsage: "GENERATE_VERIFY_MAC" }));
  const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: mac.KeyId, Message: message, MacAlgorithm: "HMAC_SHA_384" }));
  assert.equal(Mac.length, 48);
  const ok = await kms.send(new VerifyMacCommand({ KeyId: mac.KeyId, Message: message, Mac, MacAlgorithm: "HMAC_SHA_384" }));
  assert.equal(ok.MacValid, true);
});

test("typed errors and rejected credentials", async () => {
  await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: randomUUID() })), (error) => {
    assert.ok(error instanceof NotFoundException);
    assert.equal(error.$metadata.httpStatusCode, 404);
    return true;
  });
  await assert.rejects(client({ secret: "y".repeat(40) }).send(new DescribeKeyCommand({ KeyId: "alias/x" })), (error) => {
    assert.equal(error.name, "InvalidSignatureException");
    return true;
  });
  await assert.rejects(client({ keyId: "AKIAUNKNOWNUNKNOWN00" }).send(new DescribeKeyCommand({ KeyId: "alias/x" })), (error) => {
    assert.equal(error.name, "UnrecognizedClientException");
    return true;
  });
});
