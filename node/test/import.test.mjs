// Importing key material (BYOK): getParametersForImport / importKeyMaterial / deleteImportedKeyMaterial.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { Keystead, tempDir, throwsCode, rejectsCode } from '../testing/helpers.mjs'

test('import, use, delete and re-import key material', async () => {
  const store = Keystead.openSync(tempDir())
  const key = await store.createKey({ origin: 'EXTERNAL', description: 'byok' })
  assert.equal(key.keyState, 'PendingImport')
  assert.equal(key.origin, 'EXTERNAL')
  throwsCode(() => store.encryptSync(key.keyId, Buffer.from('x')), 'KMSInvalidStateException')

  const material = crypto.randomBytes(32)
  const params = await store.getParametersForImport(key.keyId, 'RSAES_OAEP_SHA_256', 'RSA_2048')
  assert.equal(params.keyId, key.arn)
  assert.ok(params.parametersValidTo > Date.now() / 1000)
  const wrap = (p) => crypto.publicEncrypt({
    key: crypto.createPublicKey({ key: p.publicKey, format: 'der', type: 'spki' }),
    padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256',
  }, material)
  throwsCode(() => store.importKeyMaterialSync(key.keyId, params.importToken, wrap(params)), 'ValidationException') // validTo required by default
  const imported = store.importKeyMaterialSync(key.keyId, params.importToken, wrap(params), { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' })
  assert.equal(imported.keyId, key.arn)
  assert.equal(store.describeKeySync(key.keyId).keyState, 'Enabled')
  const sealed = store.encryptSync(key.keyId, Buffer.from('imported'))
  assert.equal((await store.decrypt(sealed.ciphertextBlob)).plaintext.toString(), 'imported')

  const deleted = await store.deleteImportedKeyMaterial(key.keyId)
  assert.equal(deleted.keyMaterialId, imported.keyMaterialId)
  assert.equal(store.describeKeySync(key.keyId).keyState, 'PendingImport')
  await rejectsCode(store.decrypt(sealed.ciphertextBlob), 'KMSInvalidStateException')

  // The same material again, with an expiry: old ciphertexts open again.
  const again = store.getParametersForImportSync(key.keyId, 'RSAES_OAEP_SHA_256', 'RSA_2048')
  const validTo = Date.now() / 1000 + 86400
  await store.importKeyMaterial(key.keyId, again.importToken, wrap(again), { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo })
  const meta = store.describeKeySync(key.keyId)
  assert.equal(meta.expirationModel, 'KEY_MATERIAL_EXPIRES')
  assert.ok(Math.abs(meta.validTo - validTo) < 1)
  assert.equal(store.decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'imported')
  store.deleteImportedKeyMaterialSync(key.keyId)

  // Errors.
  await rejectsCode(store.importKeyMaterial(key.keyId, Buffer.from('bogus token'), wrap(again), { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }), 'InvalidImportTokenException')
  throwsCode(() => store.getParametersForImportSync(key.keyId, 'ROT13', 'RSA_2048'), 'ValidationException')
  const native = store.createKeySync().keyId
  throwsCode(() => store.getParametersForImportSync(native, 'RSAES_OAEP_SHA_256', 'RSA_2048'), 'UnsupportedOperationException')
})
