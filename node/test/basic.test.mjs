// The end-to-end slice: open, create, encrypt/decrypt (sync and async), error codes, types.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Keystead, keystead, tempDir, freshStore, throwsCode, rejectsCode, throwsTypeError } from '../testing/helpers.mjs'

test('open creates a store folder with a root key file', async () => {
  const dir = path.join(tempDir(), 'nested', 'store')
  const store = await Keystead.open(dir)
  assert.ok(store instanceof Keystead)
  assert.ok(fs.existsSync(path.join(dir, 'keystead.db')))
  assert.ok(fs.existsSync(path.join(dir, 'root.key')))
  assert.equal(store.region, 'us-east-1')
  assert.equal(store.accountId, '111122223333')
  assert.equal(store.partition, 'aws')
})

test('encrypt and decrypt, sync', () => {
  const { store, keyId, key } = freshStore()
  const context = { order: '42', tenant: 'acme' }
  const sealed = store.encryptSync(keyId, Buffer.from('4111 1111 1111 1111'), { encryptionContext: context })
  assert.ok(Buffer.isBuffer(sealed.ciphertextBlob))
  assert.equal(sealed.keyId, key.arn)
  assert.equal(sealed.encryptionAlgorithm, 'SYMMETRIC_DEFAULT')
  const opened = store.decryptSync(sealed.ciphertextBlob, { encryptionContext: { tenant: 'acme', order: '42' } })
  assert.ok(Buffer.isBuffer(opened.plaintext))
  assert.equal(opened.plaintext.toString(), '4111 1111 1111 1111')
  assert.equal(opened.keyId, key.arn)
  assert.equal(opened.encryptionAlgorithm, 'SYMMETRIC_DEFAULT')
  assert.equal(opened.keyMaterialId, key.currentKeyMaterialId)
})

test('encrypt and decrypt, async, with Uint8Array inputs', async () => {
  const { store, keyId } = freshStore()
  const plaintext = new Uint8Array([1, 2, 3, 4, 5])
  const sealed = await store.encrypt(keyId, plaintext)
  const opened = await store.decrypt(new Uint8Array(sealed.ciphertextBlob))
  assert.deepEqual([...opened.plaintext], [1, 2, 3, 4, 5])
})

test('the async form copies its input before queuing', async () => {
  const { store, keyId } = freshStore()
  const plaintext = Buffer.from('original')
  const pending = store.encrypt(keyId, plaintext)
  plaintext.fill(0) // the caller reuses its buffer at once
  const opened = store.decryptSync((await pending).ciphertextBlob)
  assert.equal(opened.plaintext.toString(), 'original')
})

test('errors carry the KMS exception name as code, sync and async', async () => {
  const { store, keyId } = freshStore()
  throwsCode(() => store.describeKeySync('alias/missing'), 'NotFoundException')
  await rejectsCode(store.describeKey('alias/missing'), 'NotFoundException')
  const sealed = store.encryptSync(keyId, Buffer.from('x'), { encryptionContext: { a: '1' } })
  throwsCode(() => store.decryptSync(sealed.ciphertextBlob, { encryptionContext: { a: '2' } }), 'InvalidCiphertextException')
  await rejectsCode(store.decrypt(sealed.ciphertextBlob), 'InvalidCiphertextException')
  store.disableKeySync(keyId)
  throwsCode(() => store.encryptSync(keyId, Buffer.from('x')), 'DisabledException')
  await rejectsCode(store.encrypt(keyId, Buffer.from('x')), 'DisabledException')
})

test('argument mistakes are TypeErrors', () => {
  const { store, keyId } = freshStore()
  throwsTypeError(() => store.encryptSync(keyId, 'a string'))
  throwsTypeError(() => store.encryptSync(42, Buffer.from('x')))
  throwsTypeError(() => store.encrypt(keyId, 12))
  throwsTypeError(() => store.decryptSync(null))
  throwsTypeError(() => store.generateRandomSync('ten'))
  throwsTypeError(() => Keystead.openSync(42))
  throwsTypeError(() => Keystead.open(tempDir(), { region: 7 }))
  throwsTypeError(() => Keystead.openSync(tempDir(), { passphrase: 'a', envVar: 'B' }))
})

test('version and errorCodes', () => {
  assert.match(keystead.version(), /^\d+\.\d+\.\d+/)
  const codes = keystead.errorCodes()
  assert.equal(codes.length, 30)
  assert.ok(codes.includes('NotFoundException'))
  assert.ok(codes.includes('IncorrectRootKeyException'))
  for (const code of codes) assert.match(code, /Exception$/)
})

test('the package entry point and the generated types agree', () => {
  const dts = fs.readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  for (const name of Object.getOwnPropertyNames(Keystead.prototype)) {
    if (name === 'constructor') continue
    assert.ok(dts.includes(`  ${name}(`) || dts.includes(`get ${name}()`), `index.d.ts declares ${name}`)
  }
  assert.ok(dts.includes('static open('))
  assert.ok(dts.includes('static openSync('))
})

test('every declaration in index.d.ts has JSDoc', () => {
  const lines = fs.readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8').split('\n')
  let previous = ''
  const undocumented = []
  for (const line of lines) {
    if (/^export |^ {2}[A-Za-z].*[(:]/.test(line) && !previous.trim().endsWith('*/')) undocumented.push(line.trim())
    if (line.trim()) previous = line
  }
  assert.deepEqual(undocumented, [])
})

test('every export of the package entry is declared in keystead.d.ts', () => {
  const dts = fs.readFileSync(new URL('../keystead.d.ts', import.meta.url), 'utf8')
  const reexported = /^export \{([^}]*)\} from '\.\/index'$/m.exec(dts)[1].split(',').map((n) => n.trim())
  const names = Object.keys(keystead)
  for (const name of names) {
    assert.ok(dts.includes(`export declare function ${name}(`) || reexported.includes(name), `keystead.d.ts declares ${name}`)
  }
  for (const name of reexported) assert.ok(names.includes(name), `keystead.js exports ${name}`)
  for (const name of ['createSealStream', 'createOpenStream', 'auditEvents', 'verifyAuditLog']) assert.ok(names.includes(name))
})

test('ESM named imports work', async () => {
  const esm = await import('../keystead.js')
  assert.equal(esm.Keystead, Keystead)
  assert.equal(typeof esm.errorCodes, 'function')
  assert.equal(typeof esm.version, 'function')
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  assert.equal(pkg.main, 'keystead.js')
  assert.equal(pkg.types, 'keystead.d.ts')
  assert.equal(pkg.exports['.'].types, './keystead.d.ts')
  assert.ok(pkg.files.includes('keystead.d.ts') && pkg.files.includes('index.d.ts'))
  assert.deepEqual(pkg.napi.targets, ['x86_64-unknown-linux-gnu'])
})

test('an application resolves the package by name (require and import)', async () => {
  const { execFileSync } = await import('node:child_process')
  const app = tempDir('app')
  fs.mkdirSync(path.join(app, 'node_modules'))
  fs.symlinkSync(fileURLToPath(new URL('..', import.meta.url)), path.join(app, 'node_modules', 'keystead'), 'dir')
  const cjs = "const { Keystead } = require('keystead'); const s = Keystead.openSync(process.argv[1]); process.stdout.write(s.createKeySync().keySpec)"
  assert.equal(execFileSync(process.execPath, ['-e', cjs, path.join(app, 'store1')], { cwd: app, encoding: 'utf8' }), 'SYMMETRIC_DEFAULT')
  const esm = "import { Keystead } from 'keystead'; const s = await Keystead.open(process.argv[1]); process.stdout.write((await s.createKey()).keyState)"
  assert.equal(execFileSync(process.execPath, ['--input-type=module', '-e', esm, path.join(app, 'store2')], { cwd: app, encoding: 'utf8' }), 'Enabled')
})
