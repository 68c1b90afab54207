// Reading and verifying the audit log by folder: verifyAuditLog / auditEvents (Promise and Sync),
// including a log with one byte edited.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { keystead, Keystead, tempDir, throwsCode, rejectsCode, throwsTypeError } from '../testing/helpers.mjs'

const { verifyAuditLog, verifyAuditLogSync, auditEvents, auditEventsSync } = keystead
const OUTSIDER = 'arn:aws:iam::444455556666:role/intruder'
const data = Buffer.from('payroll 2026-11')

/** A store folder with a few audited calls, one of them denied. */
function auditedFolder () {
  const folder = tempDir('audit-read')
  const store = Keystead.openSync(folder, { audit: { durability: 'PER_RECORD' } })
  const { keyId } = store.createKeySync()
  store.encryptSync(keyId, data)
  store.encryptSync(keyId, data)
  throwsCode(() => store.asPrincipal(OUTSIDER).encryptSync(keyId, data), 'AccessDeniedException')
  return { folder, store, keyId }
}

test('verifyAuditLog checks a store folder or its audit folder, sync and async', async () => {
  const { folder, store } = auditedFolder()
  const report = verifyAuditLogSync(folder)
  assert.equal(report.valid, true, JSON.stringify(report.problems))
  assert.deepEqual(report.problems, [])
  assert.equal(report.segments, 1)
  assert.ok(report.events >= 4, `events: ${report.events}`)
  assert.ok(report.records > report.events, 'the header is a record too')
  // The audit folder works too (a checkpoint may land in between, so compare what cannot change).
  const { valid, segments, events } = await verifyAuditLog(store.auditDir)
  assert.deepEqual({ valid, segments, events }, { valid: true, segments: 1, events: report.events })
  // The trusted key may be given; another one does not verify.
  const other = Buffer.alloc(32, 7).toString('base64')
  const wrong = verifyAuditLogSync(folder, { publicKey: other })
  assert.equal(wrong.valid, false)
  assert.ok(wrong.problems.some((p) => p.kind === 'WrongKey' || p.kind === 'BadSignature'), JSON.stringify(wrong.problems))
  throwsCode(() => verifyAuditLogSync(folder, { publicKey: 'not a key' }), 'ValidationException')
  throwsCode(() => verifyAuditLogSync(path.join(folder, 'nothing-here')), 'ValidationException')
  await rejectsCode(verifyAuditLog(path.join(folder, 'nothing-here')), 'ValidationException')
  throwsTypeError(() => verifyAuditLogSync(42))
  throwsTypeError(() => verifyAuditLog(folder, { publicKey: 7 }))
})

test('auditEvents returns CloudTrail-shaped events, oldest first, with since and limit', async () => {
  const { folder, keyId } = auditedFolder()
  const events = auditEventsSync(folder)
  assert.deepEqual(events.map((e) => e.eventName).slice(-4), ['CreateKey', 'Encrypt', 'Encrypt', 'Encrypt'])
  const denied = events.filter((e) => e.errorCode === 'AccessDeniedException')
  assert.equal(denied.length, 1)
  assert.equal(denied[0].userIdentity.arn, OUTSIDER)
  assert.ok(events.every((e) => e.eventSource === 'kms.amazonaws.com' && typeof e.eventTime === 'string'))
  const encrypted = events.filter((e) => e.eventName === 'Encrypt' && !e.errorCode)
  assert.equal(encrypted.length, 2)
  assert.ok(encrypted.every((e) => e.resources[0].ARN.endsWith(keyId)))
  assert.ok(!JSON.stringify(events).includes(data.toString()), 'never the plaintext')
  assert.deepEqual(await auditEvents(path.join(folder, 'audit')), events)

  assert.equal(auditEventsSync(folder, { limit: 2 }).length, 2)
  assert.deepEqual(auditEventsSync(folder, { limit: 2 }), events.slice(0, 2))
  assert.equal(auditEventsSync(folder, { since: new Date(Date.now() + 3600_000) }).length, 0)
  assert.equal(auditEventsSync(folder, { since: '2000-01-01T00:00:00Z' }).length, events.length)
  assert.equal((await auditEvents(folder, { since: new Date(0), limit: 3 })).length, 3)
  throwsCode(() => auditEventsSync(folder, { since: 'yesterday' }), 'ValidationException')
  await rejectsCode(auditEvents(folder, { since: 'yesterday' }), 'ValidationException')
  throwsTypeError(() => auditEventsSync(folder, { limit: 'ten' }))
  throwsTypeError(() => auditEvents(folder, 5))
})

test('one edited byte makes verifyAuditLog report the record', async () => {
  const { folder } = auditedFolder()
  const audit = path.join(folder, 'audit')
  const needle = '"errorCode":"AccessDeniedException"'
  let edited = null
  for (const name of fs.readdirSync(audit).filter((n) => n.endsWith('.jsonl'))) {
    const file = path.join(audit, name)
    const bytes = fs.readFileSync(file)
    const at = bytes.indexOf(needle)
    if (at < 0) continue
    bytes[at + 22] = 'x'.charCodeAt(0) // AccessDeniedException -> AccessDenxedException
    fs.writeFileSync(file, bytes)
    edited = file
  }
  assert.ok(edited, 'found the denied call in a segment')
  const report = await verifyAuditLog(folder)
  assert.equal(report.valid, false)
  const [first] = report.problems
  assert.equal(first.kind, 'Edited')
  assert.equal(first.file, edited)
  assert.equal(typeof first.line, 'number')
  assert.equal(typeof first.seq, 'number')
  // Reading does not verify: the edit is visible.
  assert.ok(auditEventsSync(folder).some((e) => e.errorCode === 'AccessDenxedException'))
})
