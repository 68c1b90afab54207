// Bad input through the Node door (issue 11): every method of `Keystead` (Promise and Sync
// forms) and every exported function gets wrong types, empty, oversize and malformed values for
// each parameter, one at a time, the others valid.
//
// The list of functions is read from the package at run time (the prototype and the module's
// exports); their parameters come from the generated index.d.ts (or, for the stream.js helpers
// that it does not describe, from EXTRA_SIGNATURES below). A function without a signature, or a
// parameter type without a rule, fails the test: a new function cannot go unchecked.
//
// Each case must end in a typed error: a KMS error (`code` ending in `Exception`) or a TypeError
// with code ERR_INVALID_ARG_TYPE (a value of the wrong JavaScript type). After every failed case
// the store's observable state (keys, metadata, tags, policies, grants, aliases) must be
// unchanged. A value that is valid under AWS's rules may succeed only if ACCEPTED lists it.
//
// Run: node --test tests/bad-input/bad_input.test.mjs (tests/bad-input/run.sh). With
// KEYSTEAD_BAD_INPUT_OUT set, one JSON line per function is appended there.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const nodeDir = join(here, '..', '..', 'node')
const require = createRequire(join(nodeDir, 'package.json'))
const keystead = require('./keystead.js')
const { Keystead } = keystead

// Signatures of the exports that index.d.ts does not describe (stream.js).
const EXTRA_SIGNATURES = {
  createSealStream: 'store: Keystead, keyId: string, options?: SealEnvelopeOptions',
  createOpenStream: 'store: Keystead, options?: OpenEnvelopeOptions',
  encryptFields: 'store: Keystead, keyId: string, record: object, fields: Array<string>, options?: SealEnvelopeOptions',
  decryptFields: 'store: Keystead, record: object, options?: OpenEnvelopeOptions',
  encryptSecret: 'store: Keystead, keyId: string, name: string, value: Uint8Array, encryptionContext?: Record<string, string>',
  decryptEnv: 'store: Keystead, options?: DecryptEnvOptions',
}

// Functions without inputs (nothing to make bad); still rows of the table.
const NO_INPUT = new Set(['errorCodes', 'version', 'metricsSnapshot', 'metricsSnapshotSync', 'metricsPrometheus',
  'metricsPrometheusSync', 'sweep', 'sweepSync'])

// `function/param/case` whose value is valid under AWS's rules (Sync and Promise forms alike).
const ACCEPTED = new Set([
  'updateKeyDescription/description/empty',
  'updateKeyDescription/description/malformed',
  'untagResource/tagKeys/empty',
  'tagResource/tags/empty',
  'encrypt/plaintext/malformed',
  'sign/message/malformed',
  'verify/message/malformed',
  'generateMac/message/malformed',
  'verifyMac/message/malformed',
  'sealEnvelope/plaintext/empty',
  'sealEnvelope/plaintext/oversize',
  'sealEnvelope/plaintext/malformed',
  'encryptSecret/value/malformed',
  'encryptSecret/value/empty',
  'encryptSecretSync/value/malformed',
  'encryptSecretSync/value/empty',
  'createGrant/operations/oversize',
  'encryptFields/fields/empty',
  'decryptEnvSync/variables/empty',
  'decryptEnvSync/encryptionContext/empty',
  'encryptSecret/encryptionContext/empty',
  // AWS sets no minimum length on encryption context keys (the malformed context is { '': 'x' }).
  'encryptSecret/encryptionContext/malformed',
  'encryptSecretSync/encryptionContext/empty',
  'encryptFields/record/malformed',
  'decryptFields/record/malformed',
  'decryptFields/record/empty',
  'encryptFields/record/empty',
])

// Findings of this test in the Node layer or the core, reported to their owners (rows of
// docs/bad-input.md). A new problem fails the test; a finding that goes away is printed.
const KNOWN_FINDINGS = new Set([])
const KNOWN_FINDING_PATTERNS = []
const isKnown = (key) => KNOWN_FINDINGS.has(key) || KNOWN_FINDING_PATTERNS.some((re) => re.test(key))

const OVERSIZE_STR = 'k'.repeat(70_000)

function badValues (type) {
  const t = type.replace(/\s*\|\s*(undefined|null)\b/g, '').replace(/^(\w+)\[\]$/, 'Array<$1>').trim()
  if (t === 'string') return [['wrong_type', 12345], ['empty', ''], ['oversize', OVERSIZE_STR], ['malformed', '\0not/a:valid id\n']]
  if (t === 'Uint8Array' || t === 'string | Uint8Array') {
    return [['wrong_type', 12345], ['empty', Buffer.alloc(0)], ['oversize', Buffer.alloc(300_000)],
      ['malformed', Buffer.from('ff00676172626167650000', 'hex')]]
  }
  if (t === 'number') return [['wrong_type', '12'], ['empty', 0], ['oversize', 2 ** 70], ['malformed', -5]]
  if (t === 'Array<string>') {
    return [['wrong_type', 7], ['empty', []], ['oversize', Array(100).fill('t'.repeat(10_000))], ['malformed', ['', '\0']]]
  }
  if (t === 'Array<Tag>') {
    return [['wrong_type', 7], ['empty', []],
      ['oversize', Array.from({ length: 100 }, (_, i) => ({ tagKey: `t${i}`, tagValue: 'v' }))],
      ['malformed', [{ tagKey: '', tagValue: 'v' }]]]
  }
  if (t === 'Record<string, string>') {
    const big = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v'.repeat(8192)]))
    return [['wrong_type', 7], ['empty', {}], ['oversize', big], ['malformed', { '': 'x' }]]
  }
  if (t === 'object' || t === 'Record<string, unknown>') return [['wrong_type', 7], ['empty', {}], ['malformed', { a: { b: [1, 'x'] } }]]
  if (t === 'Keystead') return [['wrong_type', { not: 'a store' }]]
  // An options or query object (an interface of the .d.ts files).
  if (/^[A-Z]\w*$/.test(t)) return [['wrong_type', 'not-an-options-object']]
  throw new Error(`no bad values for type ${type}: add a rule`)
}

/** [name, [[param, type, optional]]] for every method of class Keystead and exported function. */
function signatures () {
  const dts = readFileSync(join(nodeDir, 'index.d.ts'), 'utf8')
  const sigs = new Map()
  const parse = (params) => params.split(/,(?![^<]*>)/).map((p) => p.trim()).filter(Boolean).map((p) => {
    const m = /^(\w+)(\??):\s*(.+)$/.exec(p)
    return [m[1], m[3], m[2] === '?']
  })
  const cls = dts.slice(dts.indexOf('export declare class Keystead {'), dts.indexOf('\n}\n', dts.indexOf('export declare class Keystead {')))
  for (const m of cls.matchAll(/^ {2}(static )?(\w+)\((.*)\): .+$/gm)) sigs.set(m[2], parse(m[3]))
  for (const m of dts.matchAll(/^export declare function (\w+)\((.*)\): .+$/gm)) sigs.set(m[1], parse(m[2]))
  // The hand-written types of keystead.js's own functions, when the package has them.
  let entry = ''
  try { entry = readFileSync(join(nodeDir, 'keystead.d.ts'), 'utf8') } catch {}
  for (const m of entry.matchAll(/^export declare function (\w+)\(([\s\S]*?)\):/gm)) {
    if (!sigs.has(m[1])) sigs.set(m[1], parse(m[2].replace(/\s+/g, ' ').replace(/,\s*$/, '')))
  }
  for (const [name, params] of Object.entries(EXTRA_SIGNATURES)) if (!sigs.has(name)) sigs.set(name, parse(params))
  return sigs
}

function publicFunctions () {
  const out = []
  for (const name of Object.getOwnPropertyNames(Keystead.prototype)) {
    const d = Object.getOwnPropertyDescriptor(Keystead.prototype, name)
    if (name !== 'constructor' && typeof d.value === 'function') out.push([name, 'method'])
  }
  for (const name of ['open', 'openSync']) if (typeof Keystead[name] === 'function') out.push([name, 'static'])
  for (const [name, value] of Object.entries(keystead)) if (typeof value === 'function' && name !== 'Keystead') out.push([name, 'function'])
  return out
}

function typed (err) {
  // Node's own argument errors: ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE.
  if ((err instanceof TypeError || err instanceof RangeError) && /^ERR_(INVALID_ARG_|OUT_OF_RANGE)/.test(err.code)) return true
  return err instanceof Error && typeof err.code === 'string' && err.code.endsWith('Exception')
}

async function snapshot (store) {
  const keys = []
  for (const k of store.listKeysSync({ limit: 1000 }).keys) {
    const meta = store.describeKeySync(k.keyId)
    const row = { meta: JSON.stringify(meta), tags: JSON.stringify(store.listResourceTagsSync(k.keyId)) }
    row.policy = store.getKeyPolicySync(k.keyId).policy
    row.grants = JSON.stringify(store.listGrantsSync(k.keyId, { limit: 100 }).grants.map((g) => g.grantId).sort())
    keys.push([k.keyId, row])
  }
  return JSON.stringify([keys, store.listAliasesSync({ limit: 100 }).aliases])
}

async function fixture (folder) {
  const store = Keystead.openSync(join(folder, 'store'), { audit: false })
  const sym = store.createKeySync({ description: 'symmetric' }).keyId
  const hmac = store.createKeySync({ keyUsage: 'GENERATE_VERIFY_MAC', keySpec: 'HMAC_256' }).keyId
  const sign = store.createKeySync({ keyUsage: 'SIGN_VERIFY', keySpec: 'ECC_NIST_P256' }).keyId
  const agree = store.createKeySync({ keyUsage: 'KEY_AGREEMENT', keySpec: 'ECC_NIST_P256' }).keyId
  const external = store.createKeySync({ origin: 'EXTERNAL' }).keyId
  store.createAliasSync('alias/bad-input', sym)
  const grant = store.createGrantSync(sym, 'arn:aws:iam::111122223333:role/g', ['Encrypt'])
  const blob = store.encryptSync(sym, Buffer.from('hello')).ciphertextBlob
  const mac = store.generateMacSync(hmac, Buffer.from('m'), 'HMAC_SHA_256').mac
  const signature = store.signSync(sign, Buffer.from('m'), 'ECDSA_SHA_256').signature
  const publicKey = store.getPublicKeySync(agree).publicKey
  const envelope = store.sealEnvelopeSync(sym, Buffer.from('envelope'))
  const keyFor = (fn) => {
    if (/mac/i.test(fn)) return hmac
    if (/^(sign|verify|getPublicKey)/.test(fn)) return sign
    if (/^deriveSharedSecret/.test(fn)) return agree
    if (/import/i.test(fn)) return external
    return sym
  }
  const valid = (fn, name) => {
    const values = {
      keyId: keyFor(fn),
      destinationKeyId: sym,
      targetKeyId: sym,
      aliasName: /^(updateAlias|deleteAlias)/.test(fn) ? 'alias/bad-input' : 'alias/new-one',
      plaintext: Buffer.from('data'),
      ciphertextBlob: blob,
      message: /^openEnvelope/.test(fn) ? envelope : Buffer.from('m'),
      mac,
      signature,
      publicKey,
      signingAlgorithm: 'ECDSA_SHA_256',
      macAlgorithm: 'HMAC_SHA_256',
      keyAgreementAlgorithm: 'ECDH',
      keyPairSpec: 'ECC_NIST_P256',
      numberOfBytes: 16,
      description: 'd',
      tags: [{ tagKey: 'team', tagValue: 'x' }],
      tagKeys: ['team'],
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] }),
      granteePrincipal: 'arn:aws:iam::111122223333:role/g',
      retiringPrincipal: 'arn:aws:iam::111122223333:role/g',
      operations: ['Encrypt'],
      grantId: grant.grantId,
      action: 'kms:Encrypt',
      principalArn: 'arn:aws:iam::111122223333:user/u',
      wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      wrappingKeySpec: 'RSA_2048',
      importToken: Buffer.alloc(64, 1),
      encryptedKeyMaterial: Buffer.alloc(256, 2),
      store,
      path: join(folder, 'other'),
      dir: join(folder, 'store', 'audit'),
      name: 'SECRET_NAME',
      value: Buffer.from('v'),
      record: { a: 1 },
      fields: ['a'],
      variables: { A: 'b' },
      chunk: Buffer.from('c'),
      options: { rootKey: Buffer.alloc(32, 3) },
    }
    if (name in values) return values[name]
    throw new Error(`${fn}: no valid value for required parameter ${name}: add one`)
  }
  return { store, valid }
}

async function runFunction (fx, sigs, name, kind) {
  const row = { binding: 'node', function: kind === 'method' ? `Keystead#${name}` : kind === 'static' ? `Keystead.${name}` : name, cases: 0, typed_errors: 0, accepted: 0, findings: [], problems: [] }
  if (NO_INPUT.has(name)) return row
  const params = sigs.get(name)
  if (!params) {
    row.problems.push('no signature in index.d.ts or EXTRA_SIGNATURES')
    return row
  }
  const target = kind === 'method' ? (...a) => fx.store[name](...a) : kind === 'static' ? (...a) => Keystead[name](...a) : (...a) => keystead[name](...a)
  const base = name.replace(/Sync$/, '')
  for (let i = 0; i < params.length; i++) {
    const [param, type] = params[i]
    for (const [kase, value] of badValues(type)) {
      const args = []
      for (let j = 0; j < params.length; j++) {
        if (j === i) args.push(value)
        else if (!params[j][2]) args.push(fx.valid(name, params[j][0]))
        else args.push(undefined)
      }
      const before = await snapshot(fx.store)
      row.cases++
      const key = `${base}/${param}/${kase}`
      let failed = null
      try {
        const out = target(...args)
        if (out && typeof out.then === 'function') await out
        else if (out && typeof out.on === 'function') {
          // A stream: push one chunk through and finish, errors surface as 'error'.
          await new Promise((resolve, reject) => {
            out.on('error', reject)
            out.on('data', () => {})
            out.on('end', resolve)
            out.end(Buffer.from('x'))
          })
        }
      } catch (err) {
        failed = err
      }
      if (failed) {
        if (!typed(failed)) {
          const what = `${param}=${kase}: untyped ${failed?.constructor?.name} ${failed?.code ?? ''}: ${String(failed?.message).slice(0, 120)}`
          row[isKnown(key) ? 'findings' : 'problems'].push(what)
          continue
        }
        row.typed_errors++
        if ((await snapshot(fx.store)) !== before) row.problems.push(`${param}=${kase}: failed but changed the store`)
        continue
      }
      const emptyMeansAbsent = kase === 'empty' && /^(encryptionContext|grantTokens)$/.test(param)
      if (ACCEPTED.has(key) || ACCEPTED.has(`${name}/${param}/${kase}`) || emptyMeansAbsent) row.accepted++
      else row[isKnown(key) ? 'findings' : 'problems'].push(`${param}=${kase}: accepted`)
    }
  }
  return row
}

test('every public function of the Node binding gives typed errors for bad input and changes nothing', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'keystead-bad-input-'))
  try {
    const fx = await fixture(folder)
    const sigs = signatures()
    const rows = []
    for (const [name, kind] of publicFunctions()) rows.push(await runFunction(fx, sigs, name, kind))
    if (process.env.KEYSTEAD_BAD_INPUT_OUT) {
      for (const row of rows) appendFileSync(process.env.KEYSTEAD_BAD_INPUT_OUT, JSON.stringify(row) + '\n')
    }
    const problems = rows.flatMap((r) => r.problems.map((p) => `${r.function}: ${p}`))
    const sum = (f) => rows.reduce((a, r) => a + f(r), 0)
    const findings = sum((r) => r.findings.length)
    console.log(`bad-input/node: ${rows.length} functions, ${sum((r) => r.cases)} cases: ${sum((r) => r.typed_errors)} typed errors, ` +
      `${sum((r) => r.accepted)} valid under AWS's rules and accepted, ${findings} known findings, ${problems.length} new problems`)
    if (problems.length) console.log(problems.join('\n'))
    assert.deepEqual(problems, [])
    assert.ok(sum((r) => r.cases) > 300)
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
})
