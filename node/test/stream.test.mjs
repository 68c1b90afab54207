// Transform streams (createSealStream / createOpenStream) with stream.pipeline, record-field
// encryption over plain objects, and configuration secrets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { freshStore, keystead } from '../testing/helpers.mjs'

const { createSealStream, createOpenStream, encryptFields, decryptFields, encryptSecret, decryptEnv } = keystead

function chunksOf (buffer, size) {
  const out = []
  for (let at = 0; at < buffer.length; at += size) out.push(buffer.subarray(at, at + size))
  return out
}

function collector () {
  const parts = []
  const sink = new Writable({
    write (chunk, encoding, callback) { parts.push(chunk); callback() },
  })
  return { sink, result: () => Buffer.concat(parts) }
}

test('seal and open through stream.pipeline, any chunking, same format as the one-shot API', async () => {
  const { store, keyId } = freshStore()
  const encryptionContext = { object: 'export.csv' }
  for (const size of [0, 1, 63, 64, 65, 64 * 9 + 5, 300_000]) {
    const plaintext = crypto.randomBytes(size)
    const sealed = collector()
    await pipeline(Readable.from(chunksOf(plaintext, 10_000)), createSealStream(store, keyId, { encryptionContext, segmentSize: 64 }), sealed.sink)
    const message = sealed.result()
    assert.equal(message[0], 0xe1)
    assert.deepEqual(store.openEnvelopeSync(message, { encryptionContext }), plaintext)
    const opened = collector()
    await pipeline(Readable.from(chunksOf(message, 777)), createOpenStream(store, { encryptionContext }), opened.sink)
    assert.deepEqual(opened.result(), plaintext)
    // The one-shot message opens through the stream too.
    const oneShot = store.sealEnvelopeSync(keyId, plaintext, { encryptionContext })
    const again = collector()
    await pipeline(Readable.from([oneShot]), createOpenStream(store, { encryptionContext }), again.sink)
    assert.deepEqual(again.result(), plaintext)
  }
})

test('tampering, truncation and a wrong context fail the pipeline with InvalidCiphertextException', async () => {
  const { store, keyId } = freshStore()
  const message = store.sealEnvelopeSync(keyId, crypto.randomBytes(1000), { encryptionContext: { a: '1' }, segmentSize: 100 })
  const attempts = [
    [message, { b: '2' }],
    [message.subarray(0, message.length - 1), { a: '1' }],
    [message.subarray(0, 300), { a: '1' }],
    [Buffer.concat([message, Buffer.from([0])]), { a: '1' }],
  ]
  const flipped = Buffer.from(message)
  flipped[flipped.length >> 1] ^= 1
  attempts.push([flipped, { a: '1' }])
  for (const [bytes, encryptionContext] of attempts) {
    const sink = collector()
    await assert.rejects(
      pipeline(Readable.from(chunksOf(bytes, 64)), createOpenStream(store, { encryptionContext }), sink.sink),
      (err) => err.code === 'InvalidCiphertextException',
    )
  }
  assert.throws(() => createSealStream(store, 'alias/none'), (err) => err.code === 'NotFoundException')
  assert.throws(() => createSealStream(store, keyId, { segmentSize: 8 }), (err) => err.code === 'ValidationException')
})

test('backpressure: a slow consumer bounds what the seal stream buffers', async () => {
  const { store, keyId } = freshStore()
  const total = 8 << 20
  let produced = 0
  let maxAhead = 0
  let consumed = 0
  const source = new Readable({
    read () {
      if (produced >= total) { this.push(null); return }
      produced += 1 << 16
      this.push(Buffer.alloc(1 << 16, 7))
    },
  })
  const slow = new Writable({
    highWaterMark: 1 << 16,
    write (chunk, encoding, callback) {
      consumed += chunk.length
      maxAhead = Math.max(maxAhead, produced - consumed)
      setImmediate(callback)
    },
  })
  await pipeline(source, createSealStream(store, keyId, { segmentSize: 1 << 16 }), slow)
  assert.ok(consumed > total)
  assert.ok(maxAhead < 2 << 20, `the producer ran ${maxAhead} bytes ahead`)
})

test('record fields: plain objects in and out, moved fields refused', async () => {
  const { store, keyId } = freshStore()
  const row = { pk: 'customer#42', card: '4111 1111 1111 1111', address: { city: 'Oslo' }, points: 3 }
  const encryptionContext = { table: 'customers', pk: row.pk }
  const sealed = await encryptFields(store, keyId, row, ['card', 'address'], { encryptionContext })
  assert.equal(sealed.pk, 'customer#42')
  assert.equal(typeof sealed['keystead:fields'], 'string')
  assert.ok(!JSON.stringify(sealed).includes('4111') && !JSON.stringify(sealed).includes('Oslo'))
  assert.deepEqual(await decryptFields(store, sealed, { encryptionContext }), row)
  await assert.rejects(decryptFields(store, { ...sealed, card: sealed.address, address: sealed.card }, { encryptionContext }),
    (err) => err.code === 'InvalidCiphertextException')
  await assert.rejects(decryptFields(store, sealed, { encryptionContext: { table: 'customers', pk: 'x' } }),
    (err) => err.code === 'InvalidCiphertextException')
  await assert.rejects(encryptFields(store, keyId, row, ['email']), (err) => err.code === 'ValidationException')
})

test('secrets: encryptSecret and decryptEnv', () => {
  const { store, keyId } = freshStore()
  const value = encryptSecret(store, keyId, 'DB_PASSWORD', 'hunter2', { app: 'shop' })
  assert.match(value, /^keystead:v1:[A-Za-z0-9_-]+$/)
  const env = { DB_PASSWORD: value, LOG_LEVEL: 'info' }
  assert.deepEqual(decryptEnv(store, { env, encryptionContext: { app: 'shop' } }), { DB_PASSWORD: 'hunter2' })
  assert.deepEqual(env, { DB_PASSWORD: 'hunter2', LOG_LEVEL: 'info' })
  const moved = { ADMIN_PASSWORD: value }
  assert.throws(() => decryptEnv(store, { env: moved, encryptionContext: { app: 'shop' } }),
    (err) => err.code === 'InvalidCiphertextException' && err.message.includes('ADMIN_PASSWORD') && !err.message.includes(value.slice(12)))
  assert.equal(moved.ADMIN_PASSWORD, value)
})
