// Cross-binding matrix, Node side (context {"matrix": "cross-binding"}, 64 KiB segments):
//   node node_tool.mjs STORE seal|seal-stream|fields-seal|secret-seal KEY IN OUT
//   node node_tool.mjs STORE open|open-stream|fields-open|secret-open IN OUT
//   node node_tool.mjs STORE batch JOBS STATUS
// A batch runs each line of JOBS (a mode and its arguments, tab-separated) and writes one line
// per job to STATUS: "ok", or the error's code (one Node start for many jobs).
// Fields: the record's "card" and "address" are encrypted. Secrets are for the variable
// DB_PASSWORD and are opened through the start-up helper (decryptEnv).
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { pipeline } from 'node:stream/promises'

const require = createRequire(import.meta.url)
const { Keystead, createSealStream, createOpenStream, encryptFields, decryptFields, encryptSecret, decryptEnv } =
  require(process.env.KEYSTEAD_NODE_PACKAGE)
const encryptionContext = { matrix: 'cross-binding' }
const variable = 'DB_PASSWORD'

async function run (store, mode, args) {
  const sealing = ['seal', 'seal-stream', 'fields-seal', 'secret-seal'].includes(mode)
  const [key, src, dst] = sealing ? args : [undefined, ...args]
  if (mode === 'seal') {
    fs.writeFileSync(dst, await store.sealEnvelope(key, fs.readFileSync(src), { encryptionContext, segmentSize: 65536 }))
  } else if (mode === 'seal-stream') {
    await pipeline(fs.createReadStream(src, { highWaterMark: 10000 }), createSealStream(store, key, { encryptionContext, segmentSize: 65536 }), fs.createWriteStream(dst))
  } else if (mode === 'open') {
    fs.writeFileSync(dst, await store.openEnvelope(fs.readFileSync(src), { encryptionContext }))
  } else if (mode === 'open-stream') {
    await pipeline(fs.createReadStream(src, { highWaterMark: 9999 }), createOpenStream(store, { encryptionContext }), fs.createWriteStream(dst))
  } else if (mode === 'fields-seal') {
    const sealed = await encryptFields(store, key, JSON.parse(fs.readFileSync(src, 'utf8')), ['card', 'address'], { encryptionContext })
    fs.writeFileSync(dst, JSON.stringify(sealed))
  } else if (mode === 'fields-open') {
    fs.writeFileSync(dst, JSON.stringify(await decryptFields(store, JSON.parse(fs.readFileSync(src, 'utf8')), { encryptionContext })))
  } else if (mode === 'secret-seal') {
    fs.writeFileSync(dst, encryptSecret(store, key, variable, fs.readFileSync(src), encryptionContext))
  } else if (mode === 'secret-open') {
    const env = { [variable]: fs.readFileSync(src, 'utf8'), HOME: '/not-a-secret' }
    const opened = decryptEnv(store, { env, encryptionContext })
    if (Object.keys(opened).join() !== variable || env[variable] !== opened[variable]) throw new Error(`decryptEnv returned ${Object.keys(opened)}`)
    fs.writeFileSync(dst, opened[variable])
  } else {
    throw new Error(`unknown mode ${mode}`)
  }
}

const [storeDir, mode, ...args] = process.argv.slice(2)
const store = Keystead.openSync(storeDir)
if (mode !== 'batch') {
  await run(store, mode, args)
} else {
  const status = []
  for (const line of fs.readFileSync(args[0], 'utf8').split('\n').filter(Boolean)) {
    const [jobMode, ...jobArgs] = line.split('\t')
    try {
      await run(store, jobMode, jobArgs)
      status.push('ok')
    } catch (err) {
      status.push(err.code ?? err.name)
    }
  }
  fs.writeFileSync(args[1], status.map((s) => `${s}\n`).join(''))
}
