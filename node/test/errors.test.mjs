// Error paths of every key-taking operation, on both forms, and the error object's shape.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { freshStore, throwsCode, rejectsCode } from '../testing/helpers.mjs'

const missing = '0f0f0f0f-1111-2222-3333-444444444444'

// [method, args with the key id in place of KEY]; every one must say NotFoundException.
const keyOps = [
  ['describeKey', ['KEY']],
  ['updateKeyDescription', ['KEY', 'd']],
  ['tagResource', ['KEY', [{ tagKey: 'a', tagValue: 'b' }]]],
  ['untagResource', ['KEY', ['a']]],
  ['listResourceTags', ['KEY']],
  ['createAlias', ['alias/new-one', 'KEY']],
  ['listAliases', [{ keyId: 'KEY' }]],
  ['enableKey', ['KEY']],
  ['disableKey', ['KEY']],
  ['scheduleKeyDeletion', ['KEY']],
  ['cancelKeyDeletion', ['KEY']],
  ['enableKeyRotation', ['KEY']],
  ['disableKeyRotation', ['KEY']],
  ['getKeyRotationStatus', ['KEY']],
  ['rotateKeyOnDemand', ['KEY']],
  ['listKeyRotations', ['KEY']],
  ['encrypt', ['KEY', Buffer.from('x')]],
  ['generateDataKey', ['KEY', { keySpec: 'AES_256' }]],
  ['generateDataKeyWithoutPlaintext', ['KEY', { keySpec: 'AES_256' }]],
]

const fill = (args, keyId) => args.map((a) => a === 'KEY' ? keyId : (a && a.keyId === 'KEY' ? { ...a, keyId } : a))

test('every key operation: NotFoundException for a missing key, sync and async', async () => {
  const { store } = freshStore()
  for (const [method, args] of keyOps) {
    throwsCode(() => store[`${method}Sync`](...fill(args, missing)), 'NotFoundException')
    await rejectsCode(store[method](...fill(args, missing)), 'NotFoundException')
  }
  const { ciphertextBlob } = store.encryptSync(store.createKeySync().keyId, Buffer.from('x'))
  throwsCode(() => store.reEncryptSync(ciphertextBlob, missing), 'NotFoundException')
  await rejectsCode(store.updateAlias('alias/none', missing), 'NotFoundException')
  await rejectsCode(store.deleteAlias('alias/none'), 'NotFoundException')
})

test('every crypto operation: DisabledException and KMSInvalidStateException by key state', async () => {
  const { store, keyId } = freshStore()
  const sealed = store.encryptSync(keyId, Buffer.from('x')).ciphertextBlob
  store.disableKeySync(keyId)
  for (const [method, args] of [['encrypt', [keyId, Buffer.from('x')]], ['decrypt', [sealed]], ['generateDataKey', [keyId, { numberOfBytes: 16 }]], ['generateDataKeyWithoutPlaintext', [keyId, { numberOfBytes: 16 }]], ['reEncrypt', [sealed, keyId]]]) {
    throwsCode(() => store[`${method}Sync`](...args), 'DisabledException')
    await rejectsCode(store[method](...args), 'DisabledException')
  }
  store.scheduleKeyDeletionSync(keyId, { pendingWindowInDays: 7 })
  for (const [method, args] of [['encrypt', [keyId, Buffer.from('x')]], ['decrypt', [sealed]], ['rotateKeyOnDemand', [keyId]], ['enableKey', [keyId]]]) {
    throwsCode(() => store[`${method}Sync`](...args), 'KMSInvalidStateException')
    await rejectsCode(store[method](...args), 'KMSInvalidStateException')
  }
})

test('LimitExceededException, InvalidMarkerException, InvalidArn forms', async () => {
  const { store, keyId } = freshStore()
  for (let i = 0; i < 25; i++) store.rotateKeyOnDemandSync(keyId)
  await rejectsCode(store.rotateKeyOnDemand(keyId), 'LimitExceededException')
  await rejectsCode(store.listAliases({ marker: 'not-a-marker' }), 'InvalidMarkerException')
  throwsCode(() => store.listKeyRotationsSync(keyId, { marker: 'nope' }), 'InvalidMarkerException')
  // An ARN of another account or Region names a key this store cannot have.
  throwsCode(() => store.describeKeySync(`arn:aws:kms:eu-west-1:999999999999:key/${keyId}`), 'NotFoundException')
  assert.throws(() => store.describeKeySync('arn:aws:kms:nonsense'), (err) => ['InvalidArnException', 'NotFoundException'].includes(err.code))
})

test('error objects: Error instances with code, message, retryable, httpStatusCode', async () => {
  const { store } = freshStore()
  let syncError
  try { store.describeKeySync('alias/missing') } catch (err) { syncError = err }
  const asyncError = await store.describeKey('alias/missing').catch((err) => err)
  for (const err of [syncError, asyncError]) {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'NotFoundException')
    assert.equal(err.retryable, false)
    assert.equal(err.httpStatusCode, 404)
    assert.match(err.message, /alias\/missing/)
    assert.ok(!err.message.startsWith('NotFoundException'), 'the message does not repeat the code')
  }
  assert.equal(syncError.message, asyncError.message)
  const validation = await store.generateRandom(0).catch((err) => err)
  assert.equal(validation.code, 'ValidationException')
  assert.equal(validation.httpStatusCode, 400)
})
