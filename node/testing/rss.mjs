// Memory check body, run in its own process by test/concurrency.test.mjs with --expose-gc and a
// fixed V8 young generation (--max-semi-space-size), so that V8's own heap sizing decisions do
// not show up as growth. Prints one JSON line: { before, after, calls, seconds, heap }.
import { freshStore } from './helpers.mjs'

const { store, keyId } = freshStore()
const plaintext = Buffer.alloc(1024, 0x62)
const blob = store.encryptSync(keyId, plaintext).ciphertextBlob
let calls = 0
async function round (n) {
  for (let i = 0; i < n; i += 1000) {
    // Per 1,000 calls: 400 encryptSync, 400 decryptSync, 100 async encrypts, 100 errors.
    for (let j = 0; j < 400; j++) store.encryptSync(keyId, plaintext)
    for (let j = 0; j < 400; j++) store.decryptSync(blob)
    const pending = []
    for (let j = 0; j < 100; j++) pending.push(store.encrypt(keyId, plaintext))
    await Promise.all(pending)
    for (let j = 0; j < 100; j++) { try { store.describeKeySync('alias/missing') } catch {} }
    calls += 1000
  }
}
async function settle () {
  globalThis.gc()
  await new Promise((resolve) => setTimeout(resolve, 20))
  globalThis.gc()
  return process.memoryUsage()
}
await round(30_000) // warm-up: malloc arenas of the pool threads, caches, JIT
const before = await settle()
calls = 0
const started = performance.now()
await round(Number(process.argv[2] || 100_000))
const seconds = (performance.now() - started) / 1000
const after = await settle()
console.log(JSON.stringify({ before: before.rss, after: after.rss, heapBefore: before.heapUsed, heapAfter: after.heapUsed, calls, seconds }))
