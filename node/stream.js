'use strict'
// Streaming envelope encryption as Node Transform streams, and the record-field and secret
// helpers over plain objects. The crypto runs on the libuv thread pool (the native
// `update`/`finish` return Promises); a Transform handles one chunk at a time, so chunks stay in
// order and backpressure is the stream machinery's own (`stream.pipeline` works end to end).

const { Transform } = require('node:stream')
const native = require('./index.js')
const { optionsArgument } = require('./args.js')

function transform (nativeStream) {
  return new Transform({
    transform (chunk, encoding, callback) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk
      nativeStream.update(data).then((out) => {
        if (out.length > 0) this.push(out)
        callback()
      }, callback)
    },
    flush (callback) {
      nativeStream.finish().then((out) => {
        if (out.length > 0) this.push(out)
        callback()
      }, callback)
    },
  })
}

/**
 * A Transform that seals the bytes written to it into one envelope message under `keyId`
 * (options: encryptionContext, additionalKeyIds, segmentSize). Throws at once for a bad key or
 * options; a failure later is emitted as an 'error'.
 */
function createSealStream (store, keyId, options) {
  return transform(new native.NativeSealStream(store, keyId, options ?? undefined))
}

/**
 * A Transform that opens an envelope message written to it and emits its plaintext, each
 * segment only after it verifies (options: encryptionContext, allowedWrappingKeys,
 * maxEncryptedDataKeys). A damaged or truncated message ends in an 'error' whose `code` is
 * 'InvalidCiphertextException'; only a stream that ends without error delivered the whole
 * message.
 */
function createOpenStream (store, options) {
  return transform(new native.NativeOpenStream(store, options ?? undefined))
}

/**
 * Encrypts `fields` (top-level names) of a plain object under one data key; resolves to the
 * encrypted copy (values must be JSON-serialisable). Options as `sealEnvelope`.
 */
function encryptFields (store, keyId, record, fields, options) {
  // Not async: an argument of the wrong type is thrown at once (keystead.js makes it a
  // TypeError), as by the methods of Keystead.
  return native.nativeEncryptFields(store, keyId, JSON.stringify(record), fields, options ?? undefined).then(JSON.parse)
}

/** Decrypts a record made by `encryptFields`; resolves to the original object. */
function decryptFields (store, record, options) {
  return native.nativeDecryptFields(store, JSON.stringify(record), options ?? undefined).then(JSON.parse)
}

/** Encrypts a secret (string or Buffer) for the environment variable `name`: `keystead:v1:...`. */
function encryptSecret (store, keyId, name, value, encryptionContext) {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  return native.encryptSecretSync(store, keyId, name, data, encryptionContext ?? undefined)
}

/**
 * Decrypts every Keystead secret in `env` (default `process.env`), writes the plaintexts back
 * unless `apply` is false, and returns `{ NAME: plaintext }` for those. Nothing is written
 * unless all of them decrypt.
 */
function decryptEnv (store, options) {
  const { env = process.env, encryptionContext, apply = true } = optionsArgument('keystead.decryptEnv', options)
  const variables = {}
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') variables[name] = value
  }
  const opened = native.decryptEnvSync(store, variables, encryptionContext ?? undefined)
  if (apply) Object.assign(env, opened)
  return opened
}

module.exports = { createSealStream, createOpenStream, encryptFields, decryptFields, encryptSecret, decryptEnv }
