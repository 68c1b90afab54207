'use strict'
// Argument errors of the package, shared by keystead.js and stream.js. napi-rs converts
// arguments before our Rust code runs and reports a wrong type as a plain Error with a napi
// status code ("StringExpected", "InvalidArg"...); `wrap` turns those into TypeErrors with
// Node's code ERR_INVALID_ARG_TYPE, so every door reports a wrong type the same way. Keystead
// errors (code *Exception) pass through untouched.

const NAPI_ARGUMENT_STATUSES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected',
  'ArrayBufferExpected', 'DetachableArraybufferExpected',
])

/** A TypeError with code ERR_INVALID_ARG_TYPE, as Node's own argument checks throw. */
function invalidArgument (label, detail) {
  const err = new TypeError(`${label}: invalid argument (${detail})`)
  err.code = 'ERR_INVALID_ARG_TYPE'
  return err
}

function argumentError (label, err) {
  if (!(err instanceof Error) || err instanceof TypeError || !NAPI_ARGUMENT_STATUSES.has(err.code)) return err
  const detail = /TypedArray/.test(err.message) ? 'expected a Buffer or Uint8Array' : err.message
  return invalidArgument(label, detail)
}

/**
 * Replaces `owner[name]` with a function that throws napi-rs's argument errors as TypeErrors.
 * Argument mistakes are thrown synchronously (napi-rs converts arguments before queuing any
 * work), so the wrapped functions must call the native side synchronously, not from an async
 * function (where the error would become a rejection that is not converted).
 */
function wrap (owner, name, label = `Keystead.${name}`) {
  const original = owner[name]
  const wrapped = function (...args) {
    try {
      return original.apply(this, args)
    } catch (err) {
      throw argumentError(label, err)
    }
  }
  Object.defineProperty(wrapped, 'name', { value: name })
  Object.defineProperty(owner, name, { value: wrapped, writable: true, configurable: true, enumerable: true })
}

/**
 * An options argument read on the JavaScript side: an object, or absent (undefined/null, read
 * as `{}`). Anything else (a string, a number, a Date) is a mistake, not empty options.
 */
function optionsArgument (label, options) {
  if (options == null) return {}
  if (typeof options !== 'object' || options instanceof Date || Array.isArray(options)) {
    throw invalidArgument(label, 'options must be an object')
  }
  return options
}

module.exports = { invalidArgument, wrap, optionsArgument }
