// Per-call cost of the Node binding on an in-memory store (no disk, no audit log), so that what
// the binding adds shows next to the core's own in-memory cost (`cargo bench -p keystead-bench
// --bench core -- hot` measures the same calls from a Rust loop: encrypt and decrypt of 1 KiB
// without context, GenerateDataKey, GenerateMac and Sign P-256 of 32 bytes).
//
//   node bench/profile/node_percall.cjs [node/ folder or .node addon] [rounds] [case...]
//
// A folder loads its keystead.js (what users get: args.js wraps each method); a .node file is
// loaded bare (what node/bench/peers.mjs measures). Each case is calibrated to ~100 ms, then
// the cases run one after another, round after round (default 9 rounds); the median round is
// printed in µs per call (async cases: 64 in flight, batch time / 64). Naming cases runs only
// those (substring match), e.g. for `perf record`.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')

const target = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'node'))
const rounds = Number(process.argv[3] ?? 9)
const only = process.argv.slice(4)
const wrapped = fs.statSync(target).isDirectory()
const { Keystead } = require(wrapped ? path.join(target, 'keystead.js') : target)

const store = Keystead.openInMemorySync()
const keyId = store.createKeySync({}).keyId
const macKey = store.createKeySync({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }).keyId
const signKey = store.createKeySync({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }).keyId
const record = crypto.randomBytes(1024)
const message = Buffer.alloc(32, 0x42)
const options = { encryptionContext: { tenant: 'acme-corp', purpose: 'customer-record' } }
const blob = store.encryptSync(keyId, record).ciphertextBlob
const blobWithContext = store.encryptSync(keyId, record, options).ciphertextBlob
const envelope = store.sealEnvelopeSync(keyId, record, options)
const signature = store.signSync(signKey, message, 'ECDSA_SHA_256').signature
const mac = store.generateMacSync(macKey, message, 'HMAC_SHA_256').mac
const aesKey = crypto.randomBytes(32)
const noop = { f (a, b, c) { return c } }

function seal () {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv('aes-256-gcm', aesKey, iv)
  return [cipher.update(record), cipher.final(), cipher.getAuthTag()]
}

const IN_FLIGHT = 64
const cases = [
  ['encryptSync 1 KiB', () => store.encryptSync(keyId, record)],
  ['encryptSync 1 KiB + context', () => store.encryptSync(keyId, record, options)],
  ['encrypt 1 KiB + context (async, 64 in flight)', () => store.encrypt(keyId, record, options), true],
  ['decryptSync 1 KiB', () => store.decryptSync(blob)],
  ['decryptSync 1 KiB + context', () => store.decryptSync(blobWithContext, options)],
  ['decrypt 1 KiB + context (async, 64 in flight)', () => store.decrypt(blobWithContext, options), true],
  ['generateDataKeySync AES_256', () => store.generateDataKeySync(keyId, { keySpec: 'AES_256' })],
  ['generateMacSync HMAC_SHA_256, 32 B', () => store.generateMacSync(macKey, message, 'HMAC_SHA_256')],
  ['verifyMacSync HMAC_SHA_256, 32 B', () => store.verifyMacSync(macKey, message, mac, 'HMAC_SHA_256')],
  ['signSync P-256, 32 B', () => store.signSync(signKey, message, 'ECDSA_SHA_256')],
  ['verifySync P-256, 32 B', () => store.verifySync(signKey, message, signature, 'ECDSA_SHA_256')],
  ['sealEnvelopeSync 1 KiB + context', () => store.sealEnvelopeSync(keyId, record, options)],
  ['openEnvelopeSync 1 KiB + context', () => store.openEnvelopeSync(envelope, options)],
  ['bare no-op method, 3 arguments', () => noop.f(keyId, record, options)],
  ['node:crypto AES-256-GCM 1 KiB (iv + seal)', seal],
].filter(([name]) => only.length === 0 || only.some((o) => name.includes(o)))

async function batch ([, fn, async], n) {
  if (!async) {
    for (let i = 0; i < n; i++) fn()
    return
  }
  for (let done = 0; done < n; done += IN_FLIGHT) {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n - done) }, fn))
  }
}

async function main () {
  const counts = []
  for (const c of cases) {
    let n = c[2] ? IN_FLIGHT : 1
    for (;;) {
      const t0 = performance.now()
      await batch(c, n)
      const ms = performance.now() - t0
      if (ms >= 10) {
        counts.push(Math.max(c[2] ? IN_FLIGHT : 1, Math.round(n * 100 / ms)))
        break
      }
      n *= 2
    }
  }
  const samples = cases.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      const t0 = performance.now()
      await batch(cases[i], counts[i])
      samples[i].push((performance.now() - t0) * 1000 / counts[i])
    }
  }
  console.log(`${wrapped ? 'keystead.js' : 'bare addon'} ${target}, ${rounds} rounds, load ${require('node:os').loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  cases.forEach(([name], i) => {
    const sorted = samples[i].sort((a, b) => a - b)
    console.log(`${name.padEnd(48)} ${sorted[sorted.length >> 1].toFixed(2).padStart(9)} µs  (min ${sorted[0].toFixed(2)})`)
  })
}

main()
