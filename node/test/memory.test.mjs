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
