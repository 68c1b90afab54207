// Shared helpers of the node:test suites (kept out of test/, which node --test runs whole).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'

const require = createRequire(import.meta.url)
/** The package as an application gets it (`require("keystead")` resolves to keystead.js). */
export const keystead = require('../keystead.js')
export const { Keystead } = keystead

const made = []
/** A fresh, empty store folder that is removed when the process exits. */
export function tempDir (label = 'store') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keystead-node-${label}-`))
  made.push(dir)
  return dir
}
process.on('exit', () => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }) })

/** A new store with one symmetric key. */
export function freshStore (options) {
  const store = Keystead.openSync(tempDir(), options)
  const key = store.createKeySync({ description: 'test key' })
  return { store, key, keyId: key.keyId }
}

/** Asserts that `fn` throws (sync) an Error with this KMS `code`. */
export function throwsCode (fn, code) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, 'an Error')
    assert.ok(!(err instanceof TypeError), `not a TypeError: ${err.message}`)
    assert.equal(err.code, code, err.message)
    return true
  })
}

/** Asserts that `promise` rejects with an Error with this KMS `code`. */
export async function rejectsCode (promise, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, 'an Error')
    assert.equal(err.code, code, err.message)
    return true
  })
}

/** Asserts that `fn` throws a TypeError (argument mistake). */
export function throwsTypeError (fn) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof TypeError, `a TypeError, got ${err && err.constructor.name}: ${err && err.message}`)
    assert.match(err.code, /^ERR_INVALID_ARG_/)
    return true
  })
}
