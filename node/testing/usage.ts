// A typed use of the whole package API, type-checked (never run) by node/test.sh with
// `tsc -p testing/tsconfig.json`: the published types must accept what the README shows, and
// refuse the mistakes marked @ts-expect-error (an unused marker fails the check too).
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import {
  auditEvents,
  auditEventsSync,
  createOpenStream,
  createSealStream,
  decryptEnv,
  decryptFields,
  encryptFields,
  encryptSecret,
  errorCodes,
  Keystead,
  verifyAuditLog,
  verifyAuditLogSync,
  version,
} from 'keystead'
import type { AuditEvent, AuditProblem, AuditReport, EncryptResult, KeyMetadata, NativeSealStream } from 'keystead'

export async function typedUse(dir: string): Promise<number> {
  const store: Keystead = await Keystead.open(dir, { audit: { durability: 'PER_RECORD' } })
  const key: KeyMetadata = store.createKeySync({ description: 'typed' })
  const encrypted: EncryptResult = await store.encrypt(key.keyId, Buffer.from('hi'), { grantTokens: [], dryRun: false })
  const memory: Keystead = Keystead.openInMemorySync({ region: 'eu-west-1', cacheCapacity: 16 })
  // @ts-expect-error a store held in memory has no key file
  await Keystead.openInMemory({ keyFile: 'root.key' })

  // Streams: Node Transforms end to end.
  const seal: Transform = createSealStream(store, key.keyId, { encryptionContext: { purpose: 'backup' } })
  const open: Transform = createOpenStream(store, { encryptionContext: { purpose: 'backup' } })
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
  await pipeline(Readable.from([Buffer.from('payload')]), seal, open, sink)

  // Record fields and secrets.
  const record = await encryptFields(store, key.keyId, { card: '4111', name: 'Ada' }, ['card'])
  const restored = await decryptFields(store, record)
  const secret: string = encryptSecret(store, key.keyId, 'DB_PASSWORD', 'pw', { app: 'orders' })
  const opened: Record<string, string> = decryptEnv(store, { env: { DB_PASSWORD: secret }, apply: false })

  // The audit log, by folder.
  const report: AuditReport = await verifyAuditLog(dir, { publicKey: undefined })
  const problems: AuditProblem[] = report.valid ? [] : report.problems
  const again: AuditReport = verifyAuditLogSync(dir)
  const events: AuditEvent[] = await auditEvents(dir, { since: new Date(0), limit: 10 })
  const denied = auditEventsSync(dir, { since: '2026-01-01T00:00:00Z' }).filter(
    (e) => e.errorCode === 'AccessDeniedException',
  )
  const names: string[] = events.map((e) => e.eventName)

  // @ts-expect-error limit is a number
  auditEventsSync(dir, { limit: 'ten' })
  // @ts-expect-error createOpenStream takes no key id
  createOpenStream(store, key.keyId)
  // @ts-expect-error the native stream classes are types only: keystead.js does not export them
  const native: NativeSealStream = new NativeSealStream(store, key.keyId)

  return (
    encrypted.ciphertextBlob.length +
    Object.keys(restored).length +
    Object.keys(opened).length +
    problems.length +
    again.records +
    denied.length +
    names.length +
    errorCodes().length +
    version().length +
    memory.region.length +
    (native ? 1 : 0)
  )
}
