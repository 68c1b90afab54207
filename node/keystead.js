'use strict'
// Entry point of the `keystead` package: the generated loader (index.js) plus one adjustment
// the native layer cannot make. napi-rs converts arguments before our Rust code runs and reports
// a wrong type as a plain Error with a napi status code ("StringExpected", "InvalidArg"...).
// Here (args.js) such errors become TypeErrors with Node's code ERR_INVALID_ARG_TYPE, for the
// methods and for the stream.js helpers alike. The native methods check argument types strictly
// (`#[napi(strict)]`), so a string where an options object belongs is such an error too. Argument mistakes
// are always thrown synchronously, by the Promise methods too (as napi-rs converts arguments
// before queuing any work); store and crypto failures reject. Keystead errors (code *Exception)
// pass through untouched. The class is patched in place, so index.d.ts describes it exactly.
// (The static `open`/`openSync` are read-only; they convert their arguments in Rust instead.)

const native = require('./index.js')
const { wrap, optionsArgument } = require('./args.js')

const { Keystead } = native
if (!Keystead.__keysteadWrapped) {
  for (const name of Object.getOwnPropertyNames(Keystead.prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(Keystead.prototype, name)
    if (name === 'constructor' || typeof descriptor.value !== 'function') continue
    wrap(Keystead.prototype, name)
  }
  Object.defineProperty(Keystead, '__keysteadWrapped', { value: true })
  // util.inspect shows where the store points, never key material (none is reachable from JS).
  Object.defineProperty(Keystead.prototype, Symbol.for('nodejs.util.inspect.custom'), {
    value: function () { return `Keystead { region: '${this.region}', accountId: '${this.accountId}' }` },
  })
}

module.exports.Keystead = native.Keystead
module.exports.errorCodes = native.errorCodes
module.exports.version = native.version

// Audit log by folder. The native side hands events over as one JSON text (no napi serde
// dependency); `since` may be a Date or an ISO 8601 string.
function auditOptions (options) {
  if (options == null) return undefined
  optionsArgument('Keystead.auditEvents', options)
  const since = options.since instanceof Date ? options.since.toISOString() : options.since
  return { since: since ?? undefined, limit: options.limit ?? undefined }
}

const audit = {
  verifyAuditLog: native.verifyAuditLog,
  verifyAuditLogSync: native.verifyAuditLogSync,
  /**
   * The events of the audit log of a store folder (or of its `audit` folder), oldest first, as
   * CloudTrail-shaped objects; read without verifying (see `verifyAuditLog`). Options: `since`
   * (Date or ISO 8601 string), `limit`.
   */
  auditEvents (dir, options) {
    return native.nativeAuditEvents(dir, auditOptions(options)).then(JSON.parse)
  },
  /** Synchronous twin of `auditEvents`. */
  auditEventsSync (dir, options) {
    return JSON.parse(native.nativeAuditEventsSync(dir, auditOptions(options)))
  },
}
for (const name of Object.keys(audit)) wrap(audit, name)
Object.assign(module.exports, audit)

const streams = require('./stream.js')
for (const name of Object.keys(streams)) {
  wrap(streams, name, `keystead.${name}`)
  module.exports[name] = streams[name]
}
