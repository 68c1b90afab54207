// Keystead from Node next to a hand-written node:crypto envelope and node:crypto signing, in
// alternating rounds (issue 10; `make bench` runs it and writes bench/RESULTS.md).
//
//   node node/bench/peers.mjs [path to the keystead .node addon]
//
// Without an argument the package in node/ is loaded. bench/run.sh passes a copy of the release
// addon in target/bench-node/ so that the benchmark never rebuilds files in node/.
// Each Keystead case runs on an in-memory store and on a folder store with the defaults (audit
// log on); the case names end in `, in-memory store` / `, folder store`.
// Method: each case is calibrated to about BENCH_TARGET_MS per round, then all cases of a
// workload run one after another, round after round (BENCH_ROUNDS, default 7); the median round
// counts. Async cases keep 64 calls in flight; their time per op is the batch time / 64.
// The last stdout line is one JSON object: {"bench", "versions", "results"}.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const addon = process.argv[2]
const { Keystead } = addon ? require(path.resolve(addon)) : require('../keystead.js')

const ROUNDS = Number(process.env.BENCH_ROUNDS || 7)
const TARGET_MS = Number(process.env.BENCH_TARGET_MS || 200)
const IN_FLIGHT = 64
const results = []

async function runBatch (c, n) {
  if (!c.async) {
    for (let i = 0; i < n; i++) c.fn()
    return
  }
  for (let done = 0; done < n; done += IN_FLIGHT) {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n - done) }, c.fn))
  }
}

async function measure (workload, cases) {
  const counts = []
  for (const c of cases) {
    let n = c.async ? IN_FLIGHT : 1
    for (;;) {
      const t0 = performance.now()
      await runBatch(c, n)
      const elapsed = performance.now() - t0
      if (elapsed >= TARGET_MS / 10 || n >= 1 << 24) {
        counts.push(Math.max(c.async ? IN_FLIGHT : 1, Math.floor(TARGET_MS / (elapsed / n))))
        break
      }
      n *= 2
    }
  }
  const samples = cases.map(() => [])
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < cases.length; i++) {
      const t0 = performance.now()
      await runBatch(cases[i], counts[i])
      samples[i].push((performance.now() - t0) * 1e6 / counts[i])
    }
  }
  cases.forEach((c, i) => {
    const sorted = [...samples[i]].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    results.push({ workload, case: c.name, bytes: c.bytes || 0, ops_per_round: counts[i], samples_ns: samples[i], median_ns: median })
    console.error(`${workload.padStart(26)} | ${c.name.padEnd(58)} ${(median / 1000).toFixed(1).padStart(10)} us/op`)
  })
}

// Two stores, as the Python bench: one held in memory (no disk, no audit log: the call's own
// cost, the goal rows of bench/report.py) and a folder store with the defaults (SQLite on disk,
// audit log on), measured beside it in the same rounds.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keystead-node-peers-'))
const stores = [
  { label: 'in-memory store', store: Keystead.openInMemorySync() },
  { label: 'folder store', store: Keystead.openSync(path.join(dir, 'store')) }
]
for (const s of stores) s.keyId = s.store.createKeySync({ description: 'bench' }).keyId
const context = { tenant: 'acme-corp', purpose: 'customer-record' }
const aad = Buffer.from(JSON.stringify(context))
const record = crypto.randomBytes(1024)
const options = { encryptionContext: context }

// The hand-written envelope (the format of shared/research/perf-baselines.md): a fresh data key
// per record, the record sealed with AES-256-GCM under it, the data key wrapped by a local
// AES-256-GCM key; header, wrapped key and nonce are bound as AAD with the context.
const wrappingKey = crypto.randomBytes(32)
const kid = Buffer.from('local-wrapping-key')
const header = Buffer.concat([Buffer.from([1, kid.length]), kid])
function gcmSeal (key, iv, plaintext, additional) {
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(additional)
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
}
function gcmOpen (key, iv, sealed, additional) {
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAAD(additional)
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()])
}
function handSeal (plaintext) {
  const dek = crypto.randomBytes(32)
  const wrapIv = crypto.randomBytes(12)
  const wrapped = gcmSeal(wrappingKey, wrapIv, dek, header)
  const iv = crypto.randomBytes(12)
  const head = Buffer.concat([header, wrapIv, wrapped, iv])
  return Buffer.concat([head, gcmSeal(dek, iv, plaintext, Buffer.concat([head, aad]))])
}
function handOpen (message) {
  const at = 2 + message[1]
  const dek = gcmOpen(wrappingKey, message.subarray(at, at + 12), message.subarray(at + 12, at + 60), message.subarray(0, at))
  const head = message.subarray(0, at + 72)
  return gcmOpen(dek, message.subarray(at + 60, at + 72), message.subarray(at + 72), Buffer.concat([head, aad]))
}

const handMessage = handSeal(record)
if (!handOpen(handMessage).equals(record)) throw new Error('hand-written envelope does not round-trip')
for (const s of stores) {
  s.blob = s.store.encryptSync(s.keyId, record, options).ciphertextBlob
  s.envelope = s.store.sealEnvelopeSync(s.keyId, record, options)
  if (!Buffer.from(s.store.openEnvelopeSync(s.envelope, options)).equals(record)) throw new Error('envelope does not round-trip')
}
/** One case per store: `name, <store label>`. */
const perStore = (name, make) => stores.map((s) => ({ name: `${name}, ${s.label}`, ...make(s) }))

await measure('Node 1 KiB record encrypt', [
  ...perStore('keystead encryptSync', ({ store, keyId }) => ({ fn: () => store.encryptSync(keyId, record, options) })),
  ...perStore('keystead encrypt (async, 64 in flight)', ({ store, keyId }) => ({ async: true, fn: () => store.encrypt(keyId, record, options) })),
  ...perStore('keystead sealEnvelopeSync', ({ store, keyId }) => ({ fn: () => store.sealEnvelopeSync(keyId, record, options) })),
  { name: 'node:crypto hand-written envelope', fn: () => handSeal(record) }
])
await measure('Node 1 KiB record decrypt', [
  ...perStore('keystead decryptSync', ({ store, blob }) => ({ fn: () => store.decryptSync(blob, options) })),
  ...perStore('keystead decrypt (async, 64 in flight)', ({ store, blob }) => ({ async: true, fn: () => store.decrypt(blob, options) })),
  ...perStore('keystead openEnvelopeSync', ({ store, envelope }) => ({ fn: () => store.openEnvelopeSync(envelope, options) })),
  { name: 'node:crypto hand-written envelope', fn: () => handOpen(handMessage) }
])

const message = Buffer.alloc(32, 0x42)
for (const [spec, algorithm, label, nodeKey, digest] of [
  ['ECC_NIST_P256', 'ECDSA_SHA_256', 'ECDSA P-256', crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'sha256'],
  ['ECC_NIST_EDWARDS25519', 'ED25519_SHA_512', 'Ed25519', crypto.generateKeyPairSync('ed25519'), null]
]) {
  for (const s of stores) {
    s.signKey = s.store.createKeySync({ keySpec: spec, keyUsage: 'SIGN_VERIFY' }).keyId
    s.signature = s.store.signSync(s.signKey, message, algorithm).signature
  }
  const nodeSignature = crypto.sign(digest, message, nodeKey.privateKey)
  await measure(`Node ${label} sign`, [
    ...perStore('keystead signSync', ({ store, signKey }) => ({ fn: () => store.signSync(signKey, message, algorithm) })),
    { name: 'node:crypto sign (KeyObject made once)', fn: () => crypto.sign(digest, message, nodeKey.privateKey) }
  ])
  await measure(`Node ${label} verify`, [
    ...perStore('keystead verifySync', ({ store, signKey, signature }) => ({ fn: () => store.verifySync(signKey, message, signature, algorithm) })),
    { name: 'node:crypto verify (KeyObject made once)', fn: () => crypto.verify(digest, message, nodeKey.publicKey, nodeSignature) }
  ])
}

fs.rmSync(dir, { recursive: true, force: true })
console.log(JSON.stringify({
  bench: 'node',
  versions: { node: process.version, openssl: process.versions.openssl, v8: process.versions.v8 },
  results
}))
