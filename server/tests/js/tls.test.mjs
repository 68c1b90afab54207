// The AWS SDK for JavaScript v3 over HTTPS: keystead serve with --tls-cert/--tls-key, the test CA
// trusted through NODE_EXTRA_CA_CERTS (server/test.sh sets it for this run), as an application
// would trust a private CA without code changes.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient, NotFoundException, DescribeKeyCommand } from "@aws-sdk/client-kms";

const endpoint = process.env.KEYSTEAD_TLS_URL;
const credentials = {
  accessKeyId: process.env.KEYSTEAD_ACCESS_KEY_ID,
  secretAccessKey: process.env.KEYSTEAD_SECRET_ACCESS_KEY,
};

test("CreateKey, Encrypt and Decrypt over HTTPS", async () => {
  assert.match(endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(process.env.NODE_EXTRA_CA_CERTS, "the test CA comes from NODE_EXTRA_CA_CERTS");
  const kms = new KMSClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
  const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({ Description: "js over tls" }));
  const context = { via: "js" };
  const plaintext = new TextEncoder().encode("js tls secret");
  const sealed = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext, EncryptionContext: context }));
  const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
  assert.equal(new TextDecoder().decode(opened.Plaintext), "js tls secret");
  assert.equal(opened.KeyId, key.Arn);
  await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "alias/not-there" })), NotFoundException);
});
