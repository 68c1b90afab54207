// A worker_threads body: opens the store folder it is given, encrypts, reports back.
import { parentPort, workerData } from 'node:worker_threads'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Keystead } = require('../keystead.js')

const { dir, count, sharedKeyId, mode } = workerData
const store = await Keystead.open(dir)
if (mode === 'abandon') {
  // Queue work and let the parent terminate us while it is in flight.
  for (let i = 0; i < count; i++) store.encrypt(sharedKeyId, Buffer.alloc(1024, i)).catch(() => {})
  parentPort.postMessage({ queued: count })
} else {
  const own = (await store.createKey({ description: `worker ${workerData.id}` })).keyId
  const blobs = []
  for (let i = 0; i < count; i++) {
    const keyId = i % 2 ? own : sharedKeyId
    const sync = i % 3 === 0
    const plaintext = Buffer.from(`worker ${workerData.id} message ${i}`)
    const { ciphertextBlob } = sync ? store.encryptSync(keyId, plaintext) : await store.encrypt(keyId, plaintext)
    blobs.push(ciphertextBlob)
  }
  let code = null
  try { await store.describeKey('alias/none') } catch (err) { code = err.code }
  parentPort.postMessage({ own, blobs, code })
}
