// Cross-binding matrix, Node side: node node_tool.mjs STORE seal|seal-stream KEY IN OUT |
// node node_tool.mjs STORE open|open-stream IN OUT (context {"matrix": "cross-binding"}).
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { pipeline } from 'node:stream/promises'

const require = createRequire(import.meta.url)
const { Keystead, createSealStream, createOpenStream } = require(process.env.KEYSTEAD_NODE_PACKAGE)
const encryptionContext = { matrix: 'cross-binding' }
const [storeDir, mode, ...rest] = process.argv.slice(2)
const store = Keystead.openSync(storeDir)
if (mode === 'seal') {
  const [key, src, dst] = rest
  fs.writeFileSync(dst, await store.sealEnvelope(key, fs.readFileSync(src), { encryptionContext, segmentSize: 65536 }))
} else if (mode === 'seal-stream') {
  const [key, src, dst] = rest
  await pipeline(fs.createReadStream(src, { highWaterMark: 10000 }), createSealStream(store, key, { encryptionContext, segmentSize: 65536 }), fs.createWriteStream(dst))
} else if (mode === 'open') {
  const [src, dst] = rest
  fs.writeFileSync(dst, await store.openEnvelope(fs.readFileSync(src), { encryptionContext }))
} else if (mode === 'open-stream') {
  const [src, dst] = rest
  await pipeline(fs.createReadStream(src, { highWaterMark: 9999 }), createOpenStream(store, { encryptionContext }), fs.createWriteStream(dst))
} else {
  throw new Error(`unknown mode ${mode}`)
}
