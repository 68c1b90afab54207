// Every operation, through both its Promise form and its Sync twin.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Keystead, tempDir, freshStore, throwsCode, rejectsCode, throwsTypeError } from '../testing/helpers.mjs'

const nowSeconds = () => Date.now() / 1000

test('createKey / describeKey: metadata shape, options, dates in epoch seconds', async () => {
  const store = Keystead.openSync(tempDir(), { region: 'eu-west-3', accountId: '123456789012' })
  assert.equal(store.region, 'eu-west-3')
  assert.equal(store.accountId, '123456789012')
  const before = nowSeconds()
  const key = await store.createKey({
    description: 'orders', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS',
    tags: [{ tagKey: 'team', tagValue: 'payments' }], multiRegion: false,
  })
  assert.match(key.keyId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  assert.equal(key.arn, `arn:aws:kms:eu-west-3:123456789012:key/${key.keyId}`)
  assert.equal(key.awsAccountId, '123456789012')
  assert.equal(key.description, 'orders')
  assert.equal(key.enabled, true)
  assert.equal(key.keyState, 'Enabled')
  assert.equal(key.keyUsage, 'ENCRYPT_DECRYPT')
  assert.equal(key.keySpec, 'SYMMETRIC_DEFAULT')
  assert.equal(key.customerMasterKeySpec, 'SYMMETRIC_DEFAULT')
  assert.equal(key.origin, 'AWS_KMS')
  assert.equal(key.keyManager, 'CUSTOMER')
  assert.equal(key.multiRegion, false)
  assert.deepEqual(key.encryptionAlgorithms, ['SYMMETRIC_DEFAULT'])
  assert.equal(typeof key.creationDate, 'number')
  assert.ok(key.creationDate >= Math.floor(before) && key.creationDate <= nowSeconds() + 1)
  assert.equal(key.deletionDate, undefined)
  const described = store.describeKeySync(key.arn)
  assert.deepEqual(described, key)
  assert.deepEqual(await store.describeKey(key.keyId), key)
  assert.deepEqual(store.createKeySync().description, '')
  await rejectsCode(store.createKey({ keySpec: 'NOT_A_SPEC' }), 'ValidationException')
  throwsCode(() => store.createKeySync({ description: 'x'.repeat(8193) }), 'ValidationException')
})

test('listKeys pages with limit and marker', async () => {
  const store = Keystead.openSync(tempDir())
  const ids = new Set()
  for (let i = 0; i < 5; i++) ids.add(store.createKeySync().keyId)
  const first = store.listKeysSync({ limit: 2 })
  assert.equal(first.keys.length, 2)
  assert.equal(first.truncated, true)
  assert.equal(typeof first.nextMarker, 'string')
  const seen = [...first.keys]
  let marker = first.nextMarker
  while (marker) {
    const page = await store.listKeys({ limit: 2, marker })
    seen.push(...page.keys)
    marker = page.nextMarker
    if (!page.truncated) assert.equal(page.nextMarker, undefined)
  }
  assert.deepEqual(new Set(seen.map((k) => k.keyId)), ids)
  for (const k of seen) assert.ok(k.keyArn.endsWith(k.keyId))
  assert.equal((await store.listKeys()).keys.length, 5)
  throwsCode(() => store.listKeysSync({ marker: 'bogus' }), 'InvalidMarkerException')
  throwsCode(() => store.listKeysSync({ limit: 0 }), 'ValidationException')
})

test('updateKeyDescription', async () => {
  const { store, keyId } = freshStore()
  store.updateKeyDescriptionSync(keyId, 'one')
  assert.equal(store.describeKeySync(keyId).description, 'one')
  assert.equal(await store.updateKeyDescription(keyId, 'two'), undefined)
  assert.equal(store.describeKeySync(keyId).description, 'two')
  await rejectsCode(store.updateKeyDescription('00000000-0000-0000-0000-000000000000', 'x'), 'NotFoundException')
})

test('tagResource / untagResource / listResourceTags', async () => {
  const { store, keyId } = freshStore()
  store.tagResourceSync(keyId, [{ tagKey: 'a', tagValue: '1' }, { tagKey: 'b', tagValue: '2' }])
  await store.tagResource(keyId, [{ tagKey: 'c', tagValue: '3' }, { tagKey: 'a', tagValue: 'one' }])
  const all = store.listResourceTagsSync(keyId)
  assert.deepEqual(all.tags.map((t) => `${t.tagKey}=${t.tagValue}`).sort(), ['a=one', 'b=2', 'c=3'])
  assert.equal(all.truncated, false)
  const page = await store.listResourceTags(keyId, { limit: 2 })
  assert.equal(page.tags.length, 2)
  assert.equal(page.truncated, true)
  const rest = store.listResourceTagsSync(keyId, { marker: page.nextMarker })
  assert.equal(rest.tags.length, 1)
  store.untagResourceSync(keyId, ['a'])
  await store.untagResource(keyId, ['b'])
  assert.deepEqual(store.listResourceTagsSync(keyId).tags, [{ tagKey: 'c', tagValue: '3' }])
  throwsCode(() => store.tagResourceSync(keyId, [{ tagKey: '', tagValue: 'x' }]), 'TagException')
  throwsTypeError(() => store.tagResourceSync(keyId, [{ tagKey: 'x' }]))
})

test('aliases: create, use, update, list, delete', async () => {
  const { store, keyId } = freshStore()
  const other = store.createKeySync().keyId
  store.createAliasSync('alias/orders', keyId)
  await store.createAlias('alias/billing', keyId)
  assert.equal(store.describeKeySync('alias/orders').keyId, keyId)
  assert.equal(store.describeKeySync(`arn:aws:kms:us-east-1:111122223333:alias/orders`).keyId, keyId)
  const sealed = store.encryptSync('alias/orders', Buffer.from('via alias'))
  throwsCode(() => store.createAliasSync('alias/orders', other), 'AlreadyExistsException')
  throwsCode(() => store.createAliasSync('no-prefix', keyId), 'InvalidAliasNameException')
  throwsCode(() => store.createAliasSync('alias/aws/reserved', keyId), 'InvalidAliasNameException')
  store.updateAliasSync('alias/orders', other)
  await store.updateAlias('alias/billing', other)
  assert.equal((await store.describeKey('alias/orders')).keyId, other)
  assert.equal(store.decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'via alias')
  const list = store.listAliasesSync()
  const names = list.aliases.map((a) => a.aliasName)
  assert.ok(names.includes('alias/orders') && names.includes('alias/billing'))
  const entry = list.aliases.find((a) => a.aliasName === 'alias/orders')
  assert.equal(entry.targetKeyId, other)
  assert.equal(entry.aliasArn, 'arn:aws:kms:us-east-1:111122223333:alias/orders')
  assert.equal(typeof entry.creationDate, 'number')
  assert.ok(entry.lastUpdatedDate >= entry.creationDate)
  assert.equal((await store.listAliases({ keyId: other })).aliases.length, 2)
  assert.equal(store.listAliasesSync({ keyId, limit: 1 }).aliases.length, 0)
  store.deleteAliasSync('alias/orders')
  await store.deleteAlias('alias/billing')
  throwsCode(() => store.describeKeySync('alias/orders'), 'NotFoundException')
  await rejectsCode(store.deleteAlias('alias/orders'), 'NotFoundException')
})

test('enableKey / disableKey', async () => {
  const { store, keyId } = freshStore()
  store.disableKeySync(keyId)
  assert.equal(store.describeKeySync(keyId).keyState, 'Disabled')
  assert.equal(store.describeKeySync(keyId).enabled, false)
  await rejectsCode(store.generateDataKey(keyId, { keySpec: 'AES_256' }), 'DisabledException')
  store.enableKeySync(keyId)
  await store.disableKey(keyId)
  await store.enableKey(keyId)
  assert.equal(store.describeKeySync(keyId).keyState, 'Enabled')
})

test('scheduleKeyDeletion / cancelKeyDeletion', async () => {
  const { store, keyId, key } = freshStore()
  const scheduled = store.scheduleKeyDeletionSync(keyId, { pendingWindowInDays: 7 })
  assert.equal(scheduled.keyId, key.arn)
  assert.equal(scheduled.keyState, 'PendingDeletion')
  assert.equal(scheduled.pendingWindowInDays, 7)
  assert.ok(Math.abs(scheduled.deletionDate - (nowSeconds() + 7 * 86400)) < 60)
  const described = store.describeKeySync(keyId)
  assert.equal(described.keyState, 'PendingDeletion')
  assert.equal(described.deletionDate, scheduled.deletionDate)
  throwsCode(() => store.encryptSync(keyId, Buffer.from('x')), 'KMSInvalidStateException')
  await rejectsCode(store.scheduleKeyDeletion(keyId), 'KMSInvalidStateException')
  assert.equal(await store.cancelKeyDeletion(keyId), key.arn)
  assert.equal(store.describeKeySync(keyId).keyState, 'Disabled')
  const again = await store.scheduleKeyDeletion(keyId)
  assert.equal(again.pendingWindowInDays, 30)
  assert.equal(store.cancelKeyDeletionSync(keyId), key.arn)
  throwsCode(() => store.scheduleKeyDeletionSync(keyId, { pendingWindowInDays: 6 }), 'ValidationException')
  throwsCode(() => store.cancelKeyDeletionSync('alias/x'), 'NotFoundException')
})

test('key rotation: enable, status, on demand, list, disable', async () => {
  const { store, keyId, key } = freshStore()
  const off = store.getKeyRotationStatusSync(keyId)
  assert.equal(off.keyRotationEnabled, false)
  store.enableKeyRotationSync(keyId, { rotationPeriodInDays: 90 })
  const on = await store.getKeyRotationStatus(keyId)
  assert.equal(on.keyRotationEnabled, true)
  assert.equal(on.rotationPeriodInDays, 90)
  assert.ok(Math.abs(on.nextRotationDate - (nowSeconds() + 90 * 86400)) < 60)
  await store.enableKeyRotation(keyId)
  assert.equal(store.getKeyRotationStatusSync(keyId).rotationPeriodInDays, 365)
  throwsCode(() => store.enableKeyRotationSync(keyId, { rotationPeriodInDays: 89 }), 'ValidationException')

  const before = store.encryptSync(keyId, Buffer.from('before rotation'))
  assert.equal(store.rotateKeyOnDemandSync(keyId), key.arn)
  assert.equal(await store.rotateKeyOnDemand(keyId), key.arn)
  const rotated = store.describeKeySync(keyId)
  assert.notEqual(rotated.currentKeyMaterialId, key.currentKeyMaterialId)
  assert.equal((await store.decrypt(before.ciphertextBlob)).plaintext.toString(), 'before rotation')

  const rotations = store.listKeyRotationsSync(keyId)
  assert.equal(rotations.rotations.length, 2)
  for (const r of rotations.rotations) {
    assert.equal(r.rotationType, 'ON_DEMAND')
    assert.equal(typeof r.rotationDate, 'number')
    assert.ok(r.keyId.endsWith(keyId) || r.keyId === keyId)
  }
  const all = await store.listKeyRotations(keyId, { includeKeyMaterial: 'ALL_KEY_MATERIAL' })
  assert.equal(all.rotations.length, 3)
  assert.ok(all.rotations.some((r) => r.keyMaterialState === 'CURRENT'))
  const firstPage = store.listKeyRotationsSync(keyId, { limit: 1 })
  assert.equal(firstPage.truncated, true)
  assert.equal(store.listKeyRotationsSync(keyId, { limit: 1, marker: firstPage.nextMarker }).rotations.length, 1)
  await rejectsCode(store.listKeyRotations(keyId, { includeKeyMaterial: 'SOME' }), 'ValidationException')

  store.disableKeyRotationSync(keyId)
  assert.equal(store.getKeyRotationStatusSync(keyId).keyRotationEnabled, false)
  await store.enableKeyRotation(keyId)
  await store.disableKeyRotation(keyId)
  assert.equal((await store.getKeyRotationStatus(keyId)).keyRotationEnabled, false)
})

test('reEncrypt moves a ciphertext to another key and context', async () => {
  const { store, keyId, key } = freshStore()
  const dest = store.createKeySync()
  const sealed = store.encryptSync(keyId, Buffer.from('moving'), { encryptionContext: { a: '1' } })
  const moved = store.reEncryptSync(sealed.ciphertextBlob, dest.keyId, {
    sourceEncryptionContext: { a: '1' }, destinationEncryptionContext: { b: '2' }, sourceKeyId: keyId,
  })
  assert.equal(moved.sourceKeyId, key.arn)
  assert.equal(moved.keyId, dest.arn)
  assert.equal(moved.sourceEncryptionAlgorithm, 'SYMMETRIC_DEFAULT')
  assert.equal(moved.destinationEncryptionAlgorithm, 'SYMMETRIC_DEFAULT')
  assert.equal(moved.sourceKeyMaterialId, key.currentKeyMaterialId)
  assert.equal(moved.destinationKeyMaterialId, dest.currentKeyMaterialId)
  assert.equal(store.decryptSync(moved.ciphertextBlob, { encryptionContext: { b: '2' } }).plaintext.toString(), 'moving')
  const back = await store.reEncrypt(moved.ciphertextBlob, keyId, { sourceEncryptionContext: { b: '2' } })
  assert.equal((await store.decrypt(back.ciphertextBlob, { keyId })).plaintext.toString(), 'moving')
  await rejectsCode(store.reEncrypt(sealed.ciphertextBlob, dest.keyId), 'InvalidCiphertextException')
  throwsCode(() => store.reEncryptSync(sealed.ciphertextBlob, dest.keyId, { sourceEncryptionContext: { a: '1' }, sourceKeyId: dest.keyId }), 'IncorrectKeyException')
})

test('decrypt options: keyId check and algorithm', async () => {
  const { store, keyId } = freshStore()
  const other = store.createKeySync().keyId
  const sealed = store.encryptSync(keyId, Buffer.from('x'), { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' })
  assert.equal(store.decryptSync(sealed.ciphertextBlob, { keyId, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }).plaintext.toString(), 'x')
  throwsCode(() => store.decryptSync(sealed.ciphertextBlob, { keyId: other }), 'IncorrectKeyException')
  await rejectsCode(store.encrypt(keyId, Buffer.from('x'), { encryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidKeyUsageException')
  await rejectsCode(store.encrypt(keyId, Buffer.from('x'), { encryptionAlgorithm: 'ROT13' }), 'ValidationException')
})

test('encrypt limits: empty and over 4096 bytes', async () => {
  const { store, keyId } = freshStore()
  throwsCode(() => store.encryptSync(keyId, Buffer.alloc(0)), 'ValidationException')
  await rejectsCode(store.encrypt(keyId, Buffer.alloc(4097)), 'ValidationException')
  assert.ok(store.encryptSync(keyId, Buffer.alloc(4096, 7)).ciphertextBlob.length > 4096)
})

test('tampered ciphertexts are all InvalidCiphertextException', async () => {
  const { store, keyId } = freshStore()
  const blob = store.encryptSync(keyId, Buffer.from('tamper me')).ciphertextBlob
  for (const i of [0, 1, 5, 25, blob.length - 1]) {
    const bad = Buffer.from(blob)
    bad[i] ^= 0x01
    throwsCode(() => store.decryptSync(bad), 'InvalidCiphertextException')
  }
  await rejectsCode(store.decrypt(blob.subarray(0, 10)), 'InvalidCiphertextException')
  await rejectsCode(store.decrypt(Buffer.alloc(0)), 'ValidationException')
})

test('generateDataKey / generateDataKeyWithoutPlaintext', async () => {
  const { store, keyId, key } = freshStore()
  const context = { file: 'a.txt' }
  const dk = store.generateDataKeySync(keyId, { encryptionContext: context, keySpec: 'AES_256' })
  throwsCode(() => store.generateDataKeySync(keyId), 'ValidationException')
  assert.equal(dk.plaintext.length, 32)
  assert.equal(dk.keyId, key.arn)
  assert.equal(dk.keyMaterialId, key.currentKeyMaterialId)
  assert.deepEqual(store.decryptSync(dk.ciphertextBlob, { encryptionContext: context }).plaintext, dk.plaintext)
  assert.equal((await store.generateDataKey(keyId, { keySpec: 'AES_128' })).plaintext.length, 16)
  assert.equal((await store.generateDataKey(keyId, { numberOfBytes: 64 })).plaintext.length, 64)
  await rejectsCode(store.generateDataKey(keyId, { keySpec: 'AES_256', numberOfBytes: 32 }), 'ValidationException')
  await rejectsCode(store.generateDataKey(keyId, { numberOfBytes: 1025 }), 'ValidationException')
  const np = await store.generateDataKeyWithoutPlaintext(keyId, { encryptionContext: context, numberOfBytes: 32 })
  assert.equal(np.plaintext, undefined)
  assert.equal(np.keyId, key.arn)
  assert.equal(store.decryptSync(np.ciphertextBlob, { encryptionContext: context }).plaintext.length, 32)
  const np2 = store.generateDataKeyWithoutPlaintextSync(keyId, { keySpec: 'AES_128' })
  assert.equal(store.decryptSync(np2.ciphertextBlob).plaintext.length, 16)
})

test('generateRandom', async () => {
  const { store } = freshStore()
  const a = store.generateRandomSync(32).plaintext
  const b = (await store.generateRandom(32)).plaintext
  assert.equal(a.length, 32)
  assert.notDeepEqual(a, b)
  assert.equal(store.generateRandomSync(1024).plaintext.length, 1024)
  throwsCode(() => store.generateRandomSync(0), 'ValidationException')
  await rejectsCode(store.generateRandom(1025), 'ValidationException')
})

test('AWS managed keys are created on first use of alias/aws/*', async () => {
  const { store } = freshStore()
  const sealed = await store.encrypt('alias/aws/s3', Buffer.from('managed'))
  const meta = store.describeKeySync('alias/aws/s3')
  assert.equal(meta.keyManager, 'AWS')
  assert.equal(store.decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'managed')
  await rejectsCode(store.scheduleKeyDeletion(meta.keyId), 'AccessDeniedException')
})

test('sweep runs on demand', async () => {
  const { store } = freshStore()
  assert.equal(store.sweepSync(), undefined)
  assert.equal(await store.sweep(), undefined)
})

test('root key sources: env var, passphrase, raw bytes, key file', async () => {
  const raw = Buffer.alloc(32, 9)
  process.env.KEYSTEAD_NODE_TEST_ROOT = raw.toString('base64')
  const envDir = tempDir()
  const viaEnv = await Keystead.open(envDir, { envVar: 'KEYSTEAD_NODE_TEST_ROOT' })
  const sealed = viaEnv.encryptSync(viaEnv.createKeySync().keyId, Buffer.from('env'))
  assert.ok(!fs.existsSync(path.join(envDir, 'root.key')))
  // The same 32 bytes given directly open the same store.
  const viaBytes = Keystead.openSync(envDir, { rootKey: raw })
  assert.equal(viaBytes.decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'env')
  throwsCode(() => Keystead.openSync(envDir, { rootKey: Buffer.alloc(32, 1) }), 'IncorrectRootKeyException')
  // The default source (a key file) does not exist for this store.
  await rejectsCode(Keystead.open(envDir), 'IncorrectRootKeyException')
  throwsCode(() => Keystead.openSync(tempDir(), { rootKey: Buffer.alloc(5) }), 'ValidationException')

  const ppDir = tempDir()
  const pp = await Keystead.open(ppDir, { passphrase: 'correct horse battery staple' })
  const ppSealed = await pp.encrypt((await pp.createKey()).keyId, Buffer.from('pp'))
  const ppAgain = Keystead.openSync(ppDir, { passphrase: Buffer.from('correct horse battery staple') })
  assert.equal(ppAgain.decryptSync(ppSealed.ciphertextBlob).plaintext.toString(), 'pp')
  await rejectsCode(Keystead.open(ppDir, { passphrase: 'wrong' }), 'IncorrectRootKeyException')

  const kfDir = tempDir()
  const keyFile = path.join(tempDir(), 'my-root.key')
  Keystead.openSync(kfDir, { keyFile }).createKeySync()
  assert.equal(fs.statSync(keyFile).size, 32)
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600)
  assert.equal(Keystead.openSync(kfDir, { keyFile }).listKeysSync().keys.length, 1)
  throwsTypeError(() => Keystead.openSync(kfDir, { keyFile, rootKey: raw }))
})

test('rotateRootKey re-seals the store under a new root key', async () => {
  const dir = tempDir()
  const store = Keystead.openSync(dir)
  const keyId = store.createKeySync().keyId
  const sealed = store.encryptSync(keyId, Buffer.from('survives'))
  const oldKey = fs.readFileSync(path.join(dir, 'root.key'))
  await store.rotateRootKey({})
  const newKey = fs.readFileSync(path.join(dir, 'root.key'))
  assert.notDeepEqual(newKey, oldKey)
  assert.equal(store.decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'survives')
  assert.equal(Keystead.openSync(dir).decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'survives')
  const raw = Buffer.alloc(32, 3)
  store.rotateRootKeySync({ rootKey: raw })
  assert.equal(Keystead.openSync(dir, { rootKey: raw }).decryptSync(sealed.ciphertextBlob).plaintext.toString(), 'survives')
  throwsCode(() => Keystead.openSync(dir, { rootKey: Buffer.alloc(32, 4) }), 'IncorrectRootKeyException')
  throwsTypeError(() => store.rotateRootKeySync({ rootKey: raw, envVar: 'X' }))
})
