// About 5 s of encryptSync + decryptSync of a 1 KiB record from Node on an in-memory store (the
// store of the Node goal rows; no disk, no audit log): what bench/report.py profiles when the
// Node goal is missed. Usage: node node_encrypt.cjs <addon> [folder]
// With `folder`, a folder store with the defaults (SQLite, audit log on) in a temporary folder.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Keystead } = require(path.resolve(process.argv[2]))

const dir = process.argv[3] === 'folder' ? fs.mkdtempSync(path.join(os.tmpdir(), 'keystead-profile-')) : null
const store = dir ? Keystead.openSync(path.join(dir, 'store')) : Keystead.openInMemorySync()
const keyId = store.createKeySync({}).keyId
const record = Buffer.alloc(1024, 1)
const options = { encryptionContext: { tenant: 'acme-corp', purpose: 'customer-record' } }
const end = Date.now() + 5000
while (Date.now() < end) {
  for (let i = 0; i < 500; i++) store.decryptSync(store.encryptSync(keyId, record, options).ciphertextBlob, options)
}
if (dir) fs.rmSync(dir, { recursive: true, force: true })
