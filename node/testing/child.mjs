// A child process (child_process.fork) working on the same store folder as its parent.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Keystead } = require('../keystead.js')

const [dir, label, countText] = process.argv.slice(2)
const count = Number(countText)
const store = Keystead.openSync(dir)
const shared = 'alias/shared'
const own = store.createKeySync({ description: `process ${label}` }).keyId
const blobs = []
for (let i = 0; i < count; i++) {
  const plaintext = Buffer.from(`${label}:${i}`)
  const keyId = i % 2 ? own : shared
  const { ciphertextBlob } = i % 4 === 0 ? store.encryptSync(keyId, plaintext) : await store.encrypt(keyId, plaintext)
  blobs.push(ciphertextBlob.toString('base64'))
  if (i % 25 === 0) await store.tagResource(own, [{ tagKey: `t${i}`, tagValue: label }])
}
process.send({ label, own, blobs }, () => {
  // Then decrypt whatever the parent sends us (a ciphertext made by another process).
  process.on('message', async (msg) => {
    const { plaintext } = await store.decrypt(Buffer.from(msg.blob, 'base64'))
    process.send({ label, plaintext: plaintext.toString() }, () => process.exit(0))
  })
})
