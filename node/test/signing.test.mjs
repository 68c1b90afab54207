// Asymmetric signing keys and HMAC keys: sign / verify / getPublicKey / generateMac / verifyMac.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { Keystead, tempDir, throwsCode, rejectsCode } from '../testing/helpers.mjs'

test('sign and verify with an ECC key; the public key verifies in node:crypto', async () => {
  const store = Keystead.openSync(tempDir())
  const key = await store.createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' })
  assert.equal(key.keySpec, 'ECC_NIST_P256')
  assert.ok(key.signingAlgorithms.includes('ECDSA_SHA_256'))
  const message = Buffer.from('release v1.2.3')
  const signed = store.signSync(key.keyId, message, 'ECDSA_SHA_256')
  assert.equal(signed.keyId, key.arn)
  assert.equal(signed.signingAlgorithm, 'ECDSA_SHA_256')
  const verified = await store.verify(key.keyId, message, signed.signature, 'ECDSA_SHA_256')
  assert.equal(verified.signatureValid, true)
  const pub = store.getPublicKeySync(key.keyId)
  assert.equal(pub.keySpec, 'ECC_NIST_P256')
  assert.equal(pub.keyUsage, 'SIGN_VERIFY')
  const publicKey = crypto.createPublicKey({ key: pub.publicKey, format: 'der', type: 'spki' })
  assert.ok(crypto.verify('sha256', message, publicKey, signed.signature))
  // A digest signed with messageType DIGEST verifies against the raw message.
  const digest = crypto.createHash('sha256').update(message).digest()
  const fromDigest = (await store.sign(key.keyId, digest, 'ECDSA_SHA_256', { messageType: 'DIGEST' })).signature
  assert.equal(store.verifySync(key.keyId, message, fromDigest, 'ECDSA_SHA_256').signatureValid, true)
  assert.equal((await store.getPublicKey(key.arn)).keyId, key.arn)
  // Failures.
  throwsCode(() => store.verifySync(key.keyId, Buffer.from('tampered'), signed.signature, 'ECDSA_SHA_256'), 'KMSInvalidSignatureException')
  await rejectsCode(store.verify(key.keyId, message, Buffer.alloc(8), 'ECDSA_SHA_256'), 'KMSInvalidSignatureException')
  await rejectsCode(store.sign(key.keyId, message, 'RSASSA_PSS_SHA_256'), 'InvalidKeyUsageException')
  await rejectsCode(store.sign(key.keyId, message, 'NOT_AN_ALGORITHM'), 'ValidationException')
  throwsCode(() => store.encryptSync(key.keyId, message), 'InvalidKeyUsageException')
  const symmetric = store.createKeySync().keyId
  await rejectsCode(store.sign(symmetric, message, 'ECDSA_SHA_256'), 'InvalidKeyUsageException')
  throwsCode(() => store.getPublicKeySync(symmetric), 'UnsupportedOperationException')
})

test('generateMac and verifyMac with an HMAC key', async () => {
  const store = Keystead.openSync(tempDir())
  const key = store.createKeySync({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' })
  assert.deepEqual(key.macAlgorithms, ['HMAC_SHA_256'])
  const message = Buffer.from('webhook body')
  const { mac, macAlgorithm, keyId } = await store.generateMac(key.keyId, message, 'HMAC_SHA_256')
  assert.equal(mac.length, 32)
  assert.equal(macAlgorithm, 'HMAC_SHA_256')
  assert.equal(keyId, key.arn)
  assert.deepEqual(store.generateMacSync(key.keyId, message, 'HMAC_SHA_256').mac, mac)
  assert.equal(store.verifyMacSync(key.keyId, message, mac, 'HMAC_SHA_256').macValid, true)
  assert.equal((await store.verifyMac(key.keyId, message, mac, 'HMAC_SHA_256')).macValid, true)
  const bad = Buffer.from(mac)
  bad[0] ^= 1
  await rejectsCode(store.verifyMac(key.keyId, message, bad, 'HMAC_SHA_256'), 'KMSInvalidMacException')
  throwsCode(() => store.generateMacSync(key.keyId, message, 'HMAC_SHA_512'), 'InvalidKeyUsageException')
})

test('generateDataKeyPair (+WithoutPlaintext): usable key pairs, private key sealed under the key', async () => {
  const store = Keystead.openSync(tempDir())
  const keyId = store.createKeySync().keyId
  const context = { purpose: 'device' }
  const pair = await store.generateDataKeyPair(keyId, 'ECC_NIST_P256', { encryptionContext: context })
  assert.equal(pair.keyPairSpec, 'ECC_NIST_P256')
  const privateKey = crypto.createPrivateKey({ key: pair.privateKeyPlaintext, format: 'der', type: 'pkcs8' })
  const publicKey = crypto.createPublicKey({ key: pair.publicKey, format: 'der', type: 'spki' })
  const signature = crypto.sign('sha256', Buffer.from('m'), privateKey)
  assert.ok(crypto.verify('sha256', Buffer.from('m'), publicKey, signature))
  assert.deepEqual(store.decryptSync(pair.privateKeyCiphertextBlob, { encryptionContext: context }).plaintext, pair.privateKeyPlaintext)
  const bare = store.generateDataKeyPairWithoutPlaintextSync(keyId, 'RSA_2048')
  assert.equal(bare.privateKeyPlaintext, undefined)
  assert.equal(bare.keyPairSpec, 'RSA_2048')
  crypto.createPrivateKey({ key: store.decryptSync(bare.privateKeyCiphertextBlob).plaintext, format: 'der', type: 'pkcs8' })
  assert.equal(store.generateDataKeyPairSync(keyId, 'ECC_NIST_P384').keyPairSpec, 'ECC_NIST_P384')
  await rejectsCode(store.generateDataKeyPairWithoutPlaintext(keyId, 'ECC_NIST_P999'), 'ValidationException')
  throwsCode(() => store.generateDataKeyPairSync('alias/missing', 'RSA_2048'), 'NotFoundException')
})

test('deriveSharedSecret agrees with node:crypto ECDH', async () => {
  const store = Keystead.openSync(tempDir())
  const key = store.createKeySync({ keySpec: 'ECC_NIST_P256', keyUsage: 'KEY_AGREEMENT' })
  const peer = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const peerPublic = peer.publicKey.export({ format: 'der', type: 'spki' })
  const derived = await store.deriveSharedSecret(key.keyId, 'ECDH', peerPublic)
  assert.equal(derived.keyAgreementAlgorithm, 'ECDH')
  assert.equal(derived.keyOrigin, 'AWS_KMS')
  const ours = crypto.createPublicKey({ key: store.getPublicKeySync(key.keyId).publicKey, format: 'der', type: 'spki' })
  const expected = crypto.diffieHellman({ privateKey: peer.privateKey, publicKey: ours })
  assert.deepEqual(derived.sharedSecret, expected)
  assert.deepEqual(store.deriveSharedSecretSync(key.keyId, 'ECDH', peerPublic).sharedSecret, expected)
  throwsCode(() => store.deriveSharedSecretSync(key.keyId, 'ECDH', Buffer.from('not a key')), 'ValidationException')
})

test('RSA encryption keys: OAEP encrypt and decrypt; node:crypto encrypts for Keystead', async () => {
  const store = Keystead.openSync(tempDir())
  const key = await store.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' })
  assert.deepEqual(key.encryptionAlgorithms, ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'])
  const sealed = store.encryptSync(key.keyId, Buffer.from('card 4111'), { encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })
  assert.equal(sealed.encryptionAlgorithm, 'RSAES_OAEP_SHA_256')
  const opened = await store.decrypt(sealed.ciphertextBlob, { keyId: key.keyId, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })
  assert.equal(opened.plaintext.toString(), 'card 4111')
  assert.equal(opened.keyMaterialId, undefined)
  const pub = crypto.createPublicKey({ key: store.getPublicKeySync(key.keyId).publicKey, format: 'der', type: 'spki' })
  const fromNode = crypto.publicEncrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('hello'))
  const back = store.decryptSync(fromNode, { keyId: key.keyId, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' })
  assert.equal(back.plaintext.toString(), 'hello')
  throwsCode(() => store.encryptSync(key.keyId, Buffer.from('x')), 'ValidationException')
  throwsCode(() => store.encryptSync(key.keyId, Buffer.alloc(191), { encryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), 'ValidationException')
  throwsCode(() => store.decryptSync(sealed.ciphertextBlob), 'InvalidCiphertextException')
})
