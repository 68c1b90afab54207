// ED25519_PH_SHA_512 (MessageType DIGEST) and ML-DSA MessageType EXTERNAL_MU through the Node binding.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { Keystead, tempDir, throwsCode } from '../testing/helpers.mjs'

test('ED25519_PH_SHA_512 signs a SHA-512 digest; RAW and short digests are refused', () => {
  const store = Keystead.openSync(tempDir())
  const key = store.createKeySync({ keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY' })
  assert.ok(key.signingAlgorithms.includes('ED25519_PH_SHA_512'))
  const digest = crypto.createHash('sha512').update('release v1.2.3').digest()
  const signed = store.signSync(key.keyId, digest, 'ED25519_PH_SHA_512', { messageType: 'DIGEST' })
  assert.equal(signed.signature.length, 64)
  const options = { messageType: 'DIGEST' }
  assert.equal(store.verifySync(key.keyId, digest, signed.signature, 'ED25519_PH_SHA_512', options).signatureValid, true)
  // Ed25519ph is not pure Ed25519: node:crypto's pure verifier refuses the signature of the digest.
  const publicKey = crypto.createPublicKey({ key: store.getPublicKeySync(key.keyId).publicKey, format: 'der', type: 'spki' })
  assert.equal(crypto.verify(null, digest, publicKey, signed.signature), false)
  const tampered = Buffer.from(signed.signature)
  tampered[7] ^= 1
  throwsCode(() => store.verifySync(key.keyId, digest, tampered, 'ED25519_PH_SHA_512', options), 'KMSInvalidSignatureException')
  throwsCode(() => store.signSync(key.keyId, digest.subarray(0, 32), 'ED25519_PH_SHA_512', options), 'ValidationException')
  throwsCode(() => store.signSync(key.keyId, digest, 'ED25519_PH_SHA_512'), 'InvalidKeyUsageException')
})

test('ML-DSA EXTERNAL_MU: a signature of mu is a signature of the message', () => {
  const store = Keystead.openSync(tempDir())
  const key = store.createKeySync({ keySpec: 'ML_DSA_44', keyUsage: 'SIGN_VERIFY' })
  const spki = store.getPublicKeySync(key.keyId).publicKey
  const rawPublic = spki.subarray(spki.length - 1312) // ML-DSA-44's public key ends its SubjectPublicKeyInfo
  const message = Buffer.from('release v1.2.3')
  // FIPS 204 section 6.2, pure ML-DSA with an empty context: mu = H(H(pk, 64) || 0 || 0 || M, 64).
  const shake = (data) => crypto.createHash('shake256', { outputLength: 64 }).update(data).digest()
  const mu = shake(Buffer.concat([shake(rawPublic), Buffer.from([0, 0]), message]))
  const signed = store.signSync(key.keyId, mu, 'ML_DSA_SHAKE_256', { messageType: 'EXTERNAL_MU' })
  assert.equal(store.verifySync(key.keyId, message, signed.signature, 'ML_DSA_SHAKE_256').signatureValid, true)
  throwsCode(() => store.verifySync(key.keyId, Buffer.from('release v1.2.4'), signed.signature, 'ML_DSA_SHAKE_256'), 'KMSInvalidSignatureException')
  throwsCode(() => store.signSync(key.keyId, mu.subarray(0, 63), 'ML_DSA_SHAKE_256', { messageType: 'EXTERNAL_MU' }), 'ValidationException')
})
