// 1 KiB encrypt throughput: Keystead (sync and async) against a hand-written node:crypto
// envelope (one GenerateDataKey, then AES-256-GCM per record, sync and WebCrypto async), all in
// one run on one store.
//
//   npm run bench                    (or: node bench/encrypt.mjs [seconds per case, default 2])
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Keystead } = require('../keystead.js')

const seconds = Number(process.argv[2] || 2)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keystead-bench-'))
const store = Keystead.openSync(dir)
const keyId = store.createKeySync({ description: 'bench' }).keyId
const context = { tenant: 'acme', purpose: 'bench' }
const record = crypto.randomBytes(1024)
const aad = Buffer.from(JSON.stringify(context))

async function measure (name, inFlight, once) {
  const deadline = performance.now() + seconds * 1000
  let count = 0
  const started = performance.now()
  if (inFlight === 0) {
    while (performance.now() < deadline) {
      for (let i = 0; i < 100; i++) once()
      count += 100
    }
  } else {
    while (performance.now() < deadline) {
      await Promise.all(Array.from({ length: inFlight }, once))
      count += inFlight
    }
  }
  const elapsed = (performance.now() - started) / 1000
  const rate = count / elapsed
  console.log(`${name.padEnd(58)} ${Math.round(rate).toString().padStart(9)} ops/s  ${(1e6 / rate).toFixed(1).padStart(7)} us/op`)
  return rate
}

// The envelope: one data key from Keystead, then AES-256-GCM per record in the caller.
const dataKey = store.generateDataKeySync(keyId, { keySpec: 'AES_256', encryptionContext: context })
const webKey = await crypto.subtle.importKey('raw', dataKey.plaintext, 'AES-GCM', false, ['encrypt'])
function envelopeSync () {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv('aes-256-gcm', dataKey.plaintext, iv)
  cipher.setAAD(aad)
  const body = Buffer.concat([cipher.update(record), cipher.final()])
  return { iv, body, tag: cipher.getAuthTag(), encryptedDataKey: dataKey.ciphertextBlob }
}
async function envelopeAsync () {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const body = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, webKey, record)
  return { iv, body, encryptedDataKey: dataKey.ciphertextBlob }
}

console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model}), UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE || 4}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`)
console.log(`1 KiB records, encryption context of 2 pairs, ${seconds} s per case`)
const options = { encryptionContext: context }
const sealed = store.encryptSync(keyId, record, options).ciphertextBlob
await measure('keystead encryptSync', 0, () => store.encryptSync(keyId, record, options))
await measure('keystead encrypt (async, 64 in flight)', 64, () => store.encrypt(keyId, record, options))
await measure('keystead encrypt (async, 1000 in flight)', 1000, () => store.encrypt(keyId, record, options))
await measure('keystead decryptSync', 0, () => store.decryptSync(sealed, options))
await measure('keystead decrypt (async, 64 in flight)', 64, () => store.decrypt(sealed, options))
await measure('node:crypto envelope, aes-256-gcm sync', 0, envelopeSync)
await measure('node:crypto envelope, WebCrypto async (64 in flight)', 64, envelopeAsync)
await measure('keystead generateDataKeySync (a new data key per record)', 0, () => store.generateDataKeySync(keyId, { keySpec: 'AES_256', encryptionContext: context }))
await measure('keystead sealEnvelopeSync (Keystead message format)', 0, () => store.sealEnvelopeSync(keyId, record, options))
await measure('keystead generateRandomSync(32) (no store access: binding cost)', 0, () => store.generateRandomSync(32))
await measure('keystead describeKeySync (one store read, no crypto)', 0, () => store.describeKeySync(keyId))
dataKey.plaintext.fill(0)
fs.rmSync(dir, { recursive: true, force: true })
