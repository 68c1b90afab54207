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

test('several imported materials: NEW waits for rotation, delete and re-import by KeyMaterialId', async () => {
  const store = Keystead.openSync(tempDir())
  const keyId = store.createKeySync({ origin: 'EXTERNAL' }).keyId
  const importSync = (material, options) => {
    const p = store.getParametersForImportSync(keyId, 'RSAES_OAEP_SHA_256', 'RSA_2048')
    const wrapped = crypto.publicEncrypt({
      key: crypto.createPublicKey({ key: p.publicKey, format: 'der', type: 'spki' }),
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
    }, material)
    return store.importKeyMaterialSync(keyId, p.importToken, wrapped, { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...options })
  }
  const first = crypto.randomBytes(32)
  const second = crypto.randomBytes(32)
  const firstId = importSync(first, { keyMaterialDescription: 'first' }).keyMaterialId
  const old = store.encryptSync(keyId, Buffer.from('old')).ciphertextBlob
  throwsCode(() => store.rotateKeyOnDemandSync(keyId), 'UnsupportedOperationException')
  throwsCode(() => importSync(second, {}), 'IncorrectKeyMaterialException') // EXISTING by default now
  throwsCode(() => importSync(second, { importType: 'NEW_KEY_MATERIAL', keyMaterialId: firstId }), 'ValidationException')
  throwsCode(() => importSync(second, { importType: 'NEWEST' }), 'ValidationException')
  const secondId = importSync(second, { importType: 'NEW_KEY_MATERIAL', keyMaterialDescription: 'second' }).keyMaterialId
  const all = store.listKeyRotationsSync(keyId, { includeKeyMaterial: 'ALL_KEY_MATERIAL' }).rotations
  assert.deepEqual(all.map((r) => [r.keyMaterialState, r.importState, r.keyMaterialDescription]),
    [['CURRENT', 'IMPORTED', 'first'], ['PENDING_ROTATION', 'IMPORTED', 'second']])
  assert.equal(all[1].rotationDate, undefined)
  await store.rotateKeyOnDemand(keyId)
  assert.equal(store.describeKeySync(keyId).currentKeyMaterialId, secondId)

  const deleted = await store.deleteImportedKeyMaterial(keyId, { keyMaterialId: firstId })
  assert.equal(deleted.keyMaterialId, firstId)
  await rejectsCode(store.decrypt(old), 'KMSInvalidStateException')
  assert.equal(store.listKeyRotationsSync(keyId, { includeKeyMaterial: 'ALL_KEY_MATERIAL' }).rotations[0].importState, 'PENDING_IMPORT')
  importSync(first, { importType: 'EXISTING_KEY_MATERIAL', keyMaterialId: firstId })
  assert.equal(store.decryptSync(old).plaintext.toString(), 'old')
  throwsCode(() => store.deleteImportedKeyMaterialSync(keyId, { keyMaterialId: 'f'.repeat(64) }), 'NotFoundException')
})

test('getPublicKey checks its grant tokens', async () => {
  const store = Keystead.openSync(tempDir())
  const keyId = store.createKeySync({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }).keyId
  assert.equal(store.getPublicKeySync(keyId, { grantTokens: [] }).keySpec, 'ECC_NIST_P256')
  throwsCode(() => store.getPublicKeySync(keyId, { grantTokens: ['not a token'] }), 'InvalidGrantTokenException')
  await rejectsCode(store.getPublicKey(keyId, { grantTokens: ['not a token'] }), 'InvalidGrantTokenException')
})
