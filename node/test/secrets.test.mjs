// Nothing secret in error messages, stacks or util.inspect output.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'
import fs from 'node:fs'
import path from 'node:path'
import { Keystead, tempDir, freshStore } from '../testing/helpers.mjs'

function assertClean (value, secrets) {
  const texts = [util.inspect(value, { depth: 5, showHidden: true })]
  if (value instanceof Error) texts.push(String(value.message), String(value.stack))
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `leaked ${secret} in ${text}`)
  }
}

function encodings (bytes) {
  const b = Buffer.from(bytes)
  return [b.toString('hex'), b.toString('base64'), b.toString('hex').match(/../g).slice(0, 8).join(' ')]
}

test('util.inspect of a store shows no root key, passphrase or path secrets', () => {
  const raw = Buffer.from('0123456789abcdef0123456789ABCDEF')
  const store = Keystead.openSync(tempDir(), { rootKey: raw })
  const text = util.inspect(store, { showHidden: true, depth: 10 })
  assert.match(text, /Keystead/)
  for (const s of [raw.toString(), ...encodings(raw)]) assert.ok(!text.includes(s))
  const pp = Keystead.openSync(tempDir(), { passphrase: 'hunter2-very-secret' })
  assert.ok(!util.inspect(pp, { showHidden: true }).includes('hunter2'))
  const dir = tempDir()
  const keyFileStore = Keystead.openSync(dir)
  const fileKey = fs.readFileSync(path.join(dir, 'root.key'))
  for (const s of encodings(fileKey)) assert.ok(!util.inspect(keyFileStore, { showHidden: true }).includes(s))
})

test('crypto errors carry no plaintext, context values or key bytes', async () => {
  const { store, keyId } = freshStore()
  const plaintext = 'PLAINTEXT-4111-1111-1111-1111'
  const dataKey = store.generateDataKeySync(keyId, { keySpec: 'AES_256', encryptionContext: { tenant: 'ctx-secret-value' } })
  const secrets = [plaintext, ...encodings(dataKey.plaintext)]

  const sealed = store.encryptSync(keyId, Buffer.from(plaintext), { encryptionContext: { tenant: 'ctx-secret-value' } })
  const failures = []
  const capture = (fn) => { try { fn() } catch (err) { failures.push(err) } }
  capture(() => store.decryptSync(sealed.ciphertextBlob, { encryptionContext: { tenant: 'other' } }))
  capture(() => store.decryptSync(dataKey.ciphertextBlob))
  const tampered = Buffer.from(sealed.ciphertextBlob)
  tampered[tampered.length - 1] ^= 1
  capture(() => store.decryptSync(tampered))
  capture(() => store.encryptSync(keyId, Buffer.from(plaintext.repeat(200))))
  capture(() => store.reEncryptSync(sealed.ciphertextBlob, keyId))
  await store.decrypt(tampered).catch((err) => failures.push(err))
  await store.encrypt(keyId, Buffer.from(plaintext.repeat(200))).catch((err) => failures.push(err))
  assert.equal(failures.length, 7)
  for (const err of failures) {
    assert.match(err.code, /Exception$/)
    assertClean(err, secrets)
    assert.ok(!err.message.includes('ctx-secret-value'))
  }
})

test('root key errors carry no key bytes or passphrase', async () => {
  const raw = Buffer.alloc(32, 0x5a)
  const dir = tempDir()
  Keystead.openSync(dir, { rootKey: raw })
  const wrong = Buffer.alloc(32, 0x33)
  const failures = []
  try { Keystead.openSync(dir, { rootKey: wrong }) } catch (err) { failures.push(err) }
  try { Keystead.openSync(tempDir(), { rootKey: Buffer.alloc(31, 0x44) }) } catch (err) { failures.push(err) }
  const ppDir = tempDir()
  Keystead.openSync(ppDir, { passphrase: 'the-right-passphrase' })
  await Keystead.open(ppDir, { passphrase: 'the-wrong-passphrase' }).catch((err) => failures.push(err))
  process.env.KEYSTEAD_NODE_BAD_ROOT = 'not base64 ¤ secretish'
  try { Keystead.openSync(tempDir(), { envVar: 'KEYSTEAD_NODE_BAD_ROOT' }) } catch (err) { failures.push(err) }
  assert.equal(failures.length, 4)
  for (const err of failures) {
    assert.match(err.code, /Exception$/)
    assertClean(err, [...encodings(raw), ...encodings(wrong), ...encodings(Buffer.alloc(31, 0x44)), 'the-right-passphrase', 'the-wrong-passphrase', 'secretish'])
  }
})
