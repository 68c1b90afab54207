// Per-call cost of the Node binding layers: encryptSync/decryptSync of 1 KiB on a folder store on
// tmpfs (/dev/shm when present; Node has no in-memory store), the cost of args.js's `wrap` layer
// alone (a wrapped no-op against the bare no-op), and node:crypto AES-256-GCM of the same record
// for scale. Usage: node bench/profile/node_percall.cjs [node/ folder] [rounds]
// Prints the best of `rounds` (default 7) runs per row, in µs per call.
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const crypto = require('node:crypto')

const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'node'))
const rounds = Number(process.argv[3] ?? 7)
const { Keystead } = require(path.join(dir, 'keystead.js'))
const { wrap } = require(path.join(dir, 'args.js'))
const tmp = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'keystead-percall-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const store = Keystead.openSync(path.join(tmp, 'store'))
const noop = { f (a, b, c) { return c } }
const wrapped = { f (a, b, c) { return c } }
wrap(wrapped, 'f')
const keyId = store.createKeySync({}).keyId
const record = crypto.randomBytes(1024)
const options = { encryptionContext: { tenant: 'acme-corp', purpose: 'customer-record' } }
const blob = store.encryptSync(keyId, record, options).ciphertextBlob
const aesKey = crypto.randomBytes(32)

function seal () {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv('aes-256-gcm', aesKey, iv)
  return [cipher.update(record), cipher.final(), cipher.getAuthTag()]
}

const rows = {
  'encryptSync 1 KiB + context': () => store.encryptSync(keyId, record, options),
  'encryptSync 1 KiB': () => store.encryptSync(keyId, record),
  'decryptSync 1 KiB + context': () => store.decryptSync(blob, options),
  'bare no-op method, 3 arguments': () => noop.f(keyId, record, options),
  'args.js-wrapped no-op method, 3 arguments': () => wrapped.f(keyId, record, options),
  'node:crypto AES-256-GCM 1 KiB (iv + seal)': seal,
}

function best (fn) {
  let calls = 1
  for (;;) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) fn()
    const ns = Number(process.hrtime.bigint() - start)
    if (ns > 2e8) break
    calls *= 2
  }
  let min = Infinity
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) fn()
    min = Math.min(min, Number(process.hrtime.bigint() - start) / calls)
  }
  return min / 1000
}

for (const [name, fn] of Object.entries(rows)) {
  console.log(`${name.padEnd(52)} ${best(fn).toFixed(2).padStart(9)} µs`)
}
