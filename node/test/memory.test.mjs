// Stores held in memory (Keystead.openInMemory): the same operations as a folder store, nothing
// on disk, options checked like Keystead.open's.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import { Keystead, throwsCode, throwsTypeError } from '../testing/helpers.mjs'

test('an in-memory store encrypts, decrypts and seals like a folder store, and writes no file', async () => {
  const before = fs.readdirSync(os.tmpdir()).length
  const store = Keystead.openInMemorySync()
  assert.ok(store instanceof Keystead)
  assert.equal(store.region, 'us-east-1')
  assert.equal(store.accountId, '111122223333')
  const key = store.createKeySync({ description: 'memory' })
  const context = { tenant: 'acme', order: '42' }
  const sealed = store.encryptSync(key.keyId, Buffer.from('card'), { encryptionContext: context })
  assert.equal(sealed.keyId, key.arn)
  assert.equal(store.decryptSync(sealed.ciphertextBlob, { encryptionContext: context }).plaintext.toString(), 'card')
  throwsCode(() => store.decryptSync(sealed.ciphertextBlob, { encryptionContext: { tenant: 'acme' } }), 'InvalidCiphertextException')
  const message = await store.sealEnvelope(key.keyId, Buffer.from('record'), { encryptionContext: context })
  assert.equal((await store.openEnvelope(message, { encryptionContext: context })).toString(), 'record')
  assert.equal(fs.readdirSync(os.tmpdir()).length, before)
})

test('in-memory stores are separate, and a given root key and identity are used', async () => {
  const rootKey = crypto.randomBytes(32)
  const a = await Keystead.openInMemory({ rootKey, region: 'eu-west-1', accountId: '123456789012' })
  assert.equal(a.region, 'eu-west-1')
  assert.equal(a.accountId, '123456789012')
  const key = a.createKeySync()
  assert.match(key.arn, /^arn:aws:kms:eu-west-1:123456789012:key\//)
  const b = Keystead.openInMemorySync({ rootKey, cacheCapacity: 0 })
  throwsCode(() => b.describeKeySync(key.keyId), 'NotFoundException')
})

test('openInMemory refuses bad options with TypeErrors and a bad root key with a KMS error', async () => {
  throwsTypeError(() => Keystead.openInMemorySync('memory'))
  throwsTypeError(() => Keystead.openInMemory(42))
  throwsTypeError(() => Keystead.openInMemorySync({ region: 7 }))
  assert.throws(() => Keystead.openInMemorySync({ rootKey: Buffer.alloc(32), passphrase: 'pw' }), TypeError)
  assert.throws(() => Keystead.openInMemorySync({ rootKey: Buffer.alloc(5) }), (err) => {
    assert.ok(!(err instanceof TypeError))
    assert.match(err.code, /Exception$/)
    return true
  })
  assert.ok(Keystead.openInMemorySync(null) instanceof Keystead)
})

test('an encryption context is an object of strings, read in any key order', async () => {
  const store = Keystead.openInMemorySync()
  const keyId = store.createKeySync().keyId
  const data = Buffer.from('record')
  const context = { tenant: 'acme', 7: 'seven', 'ünï': 'cödé' }
  const { ciphertextBlob } = store.encryptSync(keyId, data, { encryptionContext: context })
  const reordered = { 'ünï': 'cödé', tenant: 'acme', 7: 'seven' }
  assert.deepEqual(store.decryptSync(ciphertextBlob, { encryptionContext: reordered }).plaintext, data)
  assert.deepEqual((await store.decrypt(ciphertextBlob, { encryptionContext: reordered })).plaintext, data)
  throwsCode(() => store.decryptSync(ciphertextBlob, { encryptionContext: { ...context, tenant: 'other' } }), 'InvalidCiphertextException')
  throwsCode(() => store.decryptSync(ciphertextBlob), 'InvalidCiphertextException')
  // Not silently an empty context: a string, null, a number value are argument mistakes.
  for (const bad of ['tenant=acme', null, 42, { tenant: 1 }, { tenant: null }]) {
    throwsTypeError(() => store.encryptSync(keyId, data, { encryptionContext: bad }))
    throwsTypeError(() => store.decrypt(ciphertextBlob, { encryptionContext: bad }))
    throwsTypeError(() => store.sealEnvelopeSync(keyId, data, { encryptionContext: bad }))
  }
  // Undefined is no context, as before.
  const plain = store.encryptSync(keyId, data, { encryptionContext: undefined }).ciphertextBlob
  assert.deepEqual(store.decryptSync(plain, {}).plaintext, data)
})

test('sync calls read their byte inputs in place; queued calls copy them before returning', async () => {
  const store = Keystead.openInMemorySync()
  const keyId = store.createKeySync().keyId
  const plaintext = Buffer.from('original plaintext')
  const pending = store.encrypt(keyId, plaintext)
  plaintext.fill(0) // the queued call copied the plaintext already
  const sealed = await pending
  assert.equal(store.decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'original plaintext')
  const view = new Uint8Array(plaintext.buffer, plaintext.byteOffset + 2, 4)
  view.set([1, 2, 3, 4])
  const fromView = store.encryptSync(keyId, view).ciphertextBlob
  assert.deepEqual([...store.decryptSync(fromView).plaintext], [1, 2, 3, 4])
})
