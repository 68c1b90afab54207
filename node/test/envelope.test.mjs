// Envelope encryption (Keystead's message format) through sealEnvelope / openEnvelope.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { freshStore, throwsCode, rejectsCode } from '../testing/helpers.mjs'

test('seal and open, sync and async, any size', async () => {
  const { store, keyId } = freshStore()
  const context = { table: 'orders', id: '42' }
  for (const size of [0, 1, 4096, 70_000]) {
    const plaintext = crypto.randomBytes(size)
    const message = store.sealEnvelopeSync(keyId, plaintext, { encryptionContext: context })
    assert.ok(Buffer.isBuffer(message))
    assert.ok(message.length > size)
    assert.deepEqual(store.openEnvelopeSync(message, { encryptionContext: context }), plaintext)
    const asyncMessage = await store.sealEnvelope(keyId, plaintext, { encryptionContext: context, segmentSize: 4096 })
    assert.deepEqual(await store.openEnvelope(asyncMessage, { encryptionContext: context }), plaintext)
  }
})

test('any of several wrapping keys opens; allowedWrappingKeys restricts', async () => {
  const { store, keyId } = freshStore()
  const second = store.createKeySync().keyId
  const message = await store.sealEnvelope(keyId, Buffer.from('two keys'), { additionalKeyIds: [second] })
  store.disableKeySync(keyId)
  assert.equal((await store.openEnvelope(message)).toString(), 'two keys')
  assert.equal(store.openEnvelopeSync(message, { allowedWrappingKeys: [second] }).toString(), 'two keys')
  throwsCode(() => store.openEnvelopeSync(message, { maxEncryptedDataKeys: 1 }), 'InvalidCiphertextException')
})

test('envelope errors: context, tampering, missing key, bad options', async () => {
  const { store, keyId } = freshStore()
  const message = store.sealEnvelopeSync(keyId, Buffer.from('secret record'), { encryptionContext: { a: '1' } })
  throwsCode(() => store.openEnvelopeSync(message, { encryptionContext: { a: '2' } }), 'InvalidCiphertextException')
  await rejectsCode(store.openEnvelope(message), 'InvalidCiphertextException')
  const bad = Buffer.from(message)
  bad[bad.length - 3] ^= 1
  await rejectsCode(store.openEnvelope(bad, { encryptionContext: { a: '1' } }), 'InvalidCiphertextException')
  await rejectsCode(store.sealEnvelope('alias/missing', Buffer.from('x')), 'NotFoundException')
  throwsCode(() => store.sealEnvelopeSync(keyId, Buffer.from('x'), { segmentSize: 1 }), 'ValidationException')
  let err
  try { store.openEnvelopeSync(bad, { encryptionContext: { a: '1' } }) } catch (e) { err = e }
  assert.ok(!err.message.includes('secret record'))
})
