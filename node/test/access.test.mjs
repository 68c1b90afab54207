// Access control, audit and metrics through the Node binding: principals, key policies, grants,
// DryRun, explain, metrics counts and the audit log of a store opened from a folder.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Keystead, tempDir, throwsCode, rejectsCode, throwsTypeError } from '../testing/helpers.mjs'

const ACCOUNT = '111122223333'
const ROOT = `arn:aws:iam::${ACCOUNT}:root`
const CHECKOUT = `arn:aws:iam::${ACCOUNT}:role/checkout`
const ANALYTICS = `arn:aws:iam::${ACCOUNT}:role/analytics`
const ADMIN = `arn:aws:iam::${ACCOUNT}:user/admin`
const OUTSIDER = 'arn:aws:iam::444455556666:role/intruder'

/** Admin administers the key; checkout may Encrypt/Decrypt only with purpose=orders. */
const policyFor = (admin) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: admin }, Action: 'kms:*', Resource: '*' },
    {
      Sid: 'CheckoutUse',
      Effect: 'Allow',
      Principal: { AWS: CHECKOUT },
      Action: ['kms:Encrypt', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'orders' } },
    },
  ],
})

const open = (options) => Keystead.openSync(tempDir('access'), options)
const data = Buffer.from('card 4111')

/** The audit events of a store folder, in order (segment files of one handle). */
function auditEvents (dir) {
  const events = []
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name)
    if (!fs.statSync(file).isFile()) continue
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue
      const record = JSON.parse(line)
      if (record.type === 'event') events.push(record.event)
    }
  }
  return events
}

test('asPrincipal narrows a handle; the default policy admits the account only', async () => {
  const store = open()
  assert.deepEqual(store.principal, { arn: ROOT, accountId: ACCOUNT })
  const { keyId } = store.createKeySync()
  const checkout = store.asPrincipal(CHECKOUT)
  assert.equal(checkout.principal.arn, CHECKOUT)
  assert.equal(store.principal.arn, ROOT, 'the original handle is unchanged')
  const { ciphertextBlob } = checkout.encryptSync(keyId, data)
  assert.deepEqual(store.decryptSync(ciphertextBlob).plaintext, data)

  const outsider = store.asPrincipal(OUTSIDER, { accessKeyId: 'AKIAEXAMPLEKEY000001' })
  assert.deepEqual(outsider.principal, { arn: OUTSIDER, accountId: '444455556666', accessKeyId: 'AKIAEXAMPLEKEY000001' })
  // AccessDeniedException, the binding's typed error, on both paths.
  let denied
  try { outsider.encryptSync(keyId, data) } catch (err) { denied = err }
  assert.ok(denied instanceof Error && !(denied instanceof TypeError))
  assert.equal(denied.code, 'AccessDeniedException')
  assert.equal(denied.httpStatusCode, 403)
  assert.equal(denied.retryable, false)
  assert.match(denied.message, /kms:Encrypt/)
  assert.ok(denied.message.includes(OUTSIDER), denied.message)
  await rejectsCode(outsider.decrypt(ciphertextBlob), 'AccessDeniedException')
  await rejectsCode(outsider.describeKey(keyId), 'AccessDeniedException')
  throwsCode(() => outsider.createKeySync(), 'AccessDeniedException')
  // An unknown key stays NotFound.
  throwsCode(() => outsider.describeKeySync('00000000-0000-4000-8000-000000000000'), 'NotFoundException')

  for (const bad of ['', 'alice', 'arn:aws:iam::1234:root', 'arn:aws:s3:::bucket']) {
    throwsCode(() => store.asPrincipal(bad), 'InvalidArnException')
  }
  throwsTypeError(() => store.asPrincipal(42))
})

test('a key policy restricts a role by encryption context, decided on each call', async () => {
  const store = open()
  const admin = store.asPrincipal(ADMIN)
  const { keyId } = await admin.createKey({ policy: policyFor(ADMIN) })
  const checkout = store.asPrincipal(CHECKOUT)
  const orders = { purpose: 'orders', order: '42' }
  const { ciphertextBlob } = await checkout.encrypt(keyId, data, { encryptionContext: orders })
  assert.deepEqual((await checkout.decrypt(ciphertextBlob, { encryptionContext: orders })).plaintext, data)
  await rejectsCode(checkout.encrypt(keyId, data, { encryptionContext: { purpose: 'refunds' } }), 'AccessDeniedException')
  throwsCode(() => checkout.encryptSync(keyId, data), 'AccessDeniedException')
  throwsCode(() => checkout.describeKeySync(keyId), 'AccessDeniedException')
  // Another role of the account is not named; an assumed-role session of checkout is.
  throwsCode(() => store.asPrincipal(ANALYTICS).decryptSync(ciphertextBlob, { encryptionContext: orders }), 'AccessDeniedException')
  const session = store.asPrincipal(`arn:aws:sts::${ACCOUNT}:assumed-role/checkout/pod-7`)
  assert.deepEqual(session.decryptSync(ciphertextBlob, { encryptionContext: orders }).plaintext, data)

  // The policy as stored; the account root was not named so it lost access.
  const got = admin.getKeyPolicySync(keyId)
  assert.deepEqual(got, { policy: policyFor(ADMIN), policyName: 'default' })
  assert.deepEqual(await admin.listKeyPolicies(keyId), { policyNames: ['default'], truncated: false })
  throwsCode(() => admin.getKeyPolicySync(keyId, { policyName: 'other' }), 'NotFoundException')
  await rejectsCode(store.getKeyPolicy(keyId), 'AccessDeniedException')
})

test('putKeyPolicy: default policy first, lockout check error, bypass, malformed changes nothing', async () => {
  const store = open()
  const { keyId } = store.createKeySync()
  const original = JSON.parse(store.getKeyPolicySync(keyId).policy)
  assert.equal(original.Statement[0].Principal.AWS, ROOT)
  const admin = store.asPrincipal(ADMIN)
  const locked = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: CHECKOUT }, Action: 'kms:Encrypt', Resource: '*' }],
  })
  let err
  try { admin.putKeyPolicySync(keyId, locked) } catch (e) { err = e }
  assert.equal(err.code, 'MalformedPolicyDocumentException')
  assert.match(err.message, /will not allow you to update the key policy/)
  assert.deepEqual(JSON.parse(store.getKeyPolicySync(keyId).policy), original, 'nothing changed')
  await rejectsCode(admin.createKey({ policy: locked }), 'MalformedPolicyDocumentException')
  await rejectsCode(store.putKeyPolicy(keyId, 'not json'), 'MalformedPolicyDocumentException')
  admin.encryptSync(keyId, data)

  await admin.putKeyPolicy(keyId, locked, { bypassPolicyLockoutSafetyCheck: true })
  throwsCode(() => admin.encryptSync(keyId, data), 'AccessDeniedException')
  throwsCode(() => admin.putKeyPolicySync(keyId, policyFor(ADMIN)), 'AccessDeniedException')
  store.asPrincipal(CHECKOUT).encryptSync(keyId, data)
  // CreateKey with bypass accepts a policy that locks the caller out.
  const { keyId: other } = admin.createKeySync({ policy: locked, bypassPolicyLockoutSafetyCheck: true })
  throwsCode(() => admin.describeKeySync(other), 'AccessDeniedException')
})

test('grants: create, use at once within constraints, list, retire, revoke', async () => {
  const store = open()
  const admin = store.asPrincipal(ADMIN)
  const { keyId } = admin.createKeySync({ policy: policyFor(ADMIN) })
  const analytics = store.asPrincipal(ANALYTICS)
  const reports = { dept: 'reports', month: '11' }
  throwsCode(() => analytics.encryptSync(keyId, data, { encryptionContext: reports }), 'AccessDeniedException')

  const grant = await admin.createGrant(keyId, ANALYTICS, ['Encrypt', 'Decrypt', 'GenerateDataKey'], {
    retiringPrincipal: ADMIN,
    constraints: { encryptionContextSubset: { dept: 'reports' } },
    name: 'reports-2026',
  })
  assert.equal(grant.grantId.length, 64)
  assert.equal(typeof grant.grantToken, 'string')
  const { ciphertextBlob } = analytics.encryptSync(keyId, data, { encryptionContext: reports })
  assert.deepEqual((await analytics.decrypt(ciphertextBlob, { encryptionContext: reports })).plaintext, data)
  const dataKey = analytics.generateDataKeySync(keyId, { numberOfBytes: 32, encryptionContext: reports, grantTokens: [grant.grantToken] })
  assert.equal(dataKey.plaintext.length, 32)
  throwsCode(() => analytics.encryptSync(keyId, data, { encryptionContext: { dept: 'sales' } }), 'AccessDeniedException')
  throwsCode(() => analytics.describeKeySync(keyId), 'AccessDeniedException')
  // A forged grant token is refused.
  throwsCode(() => analytics.encryptSync(keyId, data, { encryptionContext: reports, grantTokens: ['forged'] }), 'InvalidGrantTokenException')

  // Idempotent by name: the same grant id, a fresh token.
  const again = admin.createGrantSync(keyId, ANALYTICS, ['Decrypt', 'Encrypt', 'GenerateDataKey'], {
    retiringPrincipal: ADMIN,
    constraints: { encryptionContextSubset: { dept: 'reports' } },
    name: 'reports-2026',
  })
  assert.equal(again.grantId, grant.grantId)
  assert.notEqual(again.grantToken, grant.grantToken)

  const listed = await admin.listGrants(keyId)
  assert.equal(listed.truncated, false)
  assert.equal(listed.grants.length, 1)
  const [entry] = listed.grants
  assert.equal(entry.keyId, keyId)
  assert.equal(entry.grantId, grant.grantId)
  assert.equal(entry.name, 'reports-2026')
  assert.equal(entry.granteePrincipal, ANALYTICS)
  assert.equal(entry.retiringPrincipal, ADMIN)
  assert.equal(entry.issuingAccount, ROOT)
  assert.deepEqual(entry.operations, ['Decrypt', 'Encrypt', 'GenerateDataKey'])
  assert.deepEqual(entry.constraints, { encryptionContextSubset: { dept: 'reports' } })
  assert.ok(Math.abs(entry.creationDate - Date.now() / 1000) < 600, 'creationDate is in seconds')
  assert.ok(!('grantToken' in entry))
  assert.equal(admin.listGrantsSync(keyId, { granteePrincipal: CHECKOUT }).grants.length, 0)
  assert.equal(admin.listGrantsSync(keyId, { grantId: grant.grantId }).grants.length, 1)
  assert.deepEqual(admin.listRetirableGrantsSync(ADMIN).grants.map((g) => g.grantId), [grant.grantId])

  // Retire by token (the retiring principal): the grantee loses access on the next call.
  throwsCode(() => admin.retireGrantSync({ grantToken: grant.grantToken, dryRun: true }), 'DryRunOperationException')
  analytics.encryptSync(keyId, data, { encryptionContext: reports })
  await admin.retireGrant({ grantToken: grant.grantToken })
  throwsCode(() => analytics.encryptSync(keyId, data, { encryptionContext: reports }), 'AccessDeniedException')
  assert.equal(admin.listGrantsSync(keyId).grants.length, 0)
  await rejectsCode(admin.retireGrant({ grantToken: grant.grantToken }), 'NotFoundException')
  // Naming the grant both ways, or neither, is an argument mistake.
  throwsTypeError(() => admin.retireGrantSync({}))
  throwsTypeError(() => admin.retireGrant({ grantToken: grant.grantToken, keyId, grantId: grant.grantId }))

  // Revoke: the grantee cannot, the account can (DryRun first changes nothing).
  const other = admin.createGrantSync(keyId, OUTSIDER, ['Encrypt', 'DescribeKey'])
  const outsider = store.asPrincipal(OUTSIDER)
  outsider.describeKeySync(keyId)
  throwsCode(() => outsider.revokeGrantSync(keyId, other.grantId), 'AccessDeniedException')
  const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`
  throwsCode(() => outsider.retireGrantSync({ keyId: keyArn, grantId: other.grantId }), 'AccessDeniedException')
  // RetireGrant takes the key ARN, as in AWS.
  throwsCode(() => admin.retireGrantSync({ keyId, grantId: other.grantId }), 'InvalidArnException')
  await rejectsCode(admin.revokeGrant(keyId, other.grantId, { dryRun: true }), 'DryRunOperationException')
  outsider.encryptSync(keyId, data)
  admin.revokeGrantSync(keyId, other.grantId)
  throwsCode(() => outsider.encryptSync(keyId, data), 'AccessDeniedException')
  throwsCode(() => admin.revokeGrantSync(keyId, other.grantId), 'NotFoundException')

  // Validation as in AWS.
  throwsCode(() => admin.createGrantSync(keyId, ANALYTICS, []), 'ValidationException')
  throwsCode(() => admin.createGrantSync(keyId, ANALYTICS, ['Teleport']), 'ValidationException')
  throwsCode(() => admin.createGrantSync(keyId, 'bob', ['Encrypt']), 'InvalidArnException')
  throwsCode(() => admin.createGrantSync(keyId, ANALYTICS, ['Encrypt'], { dryRun: true }), 'DryRunOperationException')
  assert.equal(admin.listGrantsSync(keyId).grants.length, 0)
})

test('DryRun on the crypto calls checks everything and returns nothing', async () => {
  const store = open()
  const { keyId } = store.createKeySync()
  const mac = store.createKeySync({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }).keyId
  const signing = store.createKeySync({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }).keyId
  const { ciphertextBlob } = store.encryptSync(keyId, data)
  const dry = { dryRun: true }
  throwsCode(() => store.encryptSync(keyId, data, dry), 'DryRunOperationException')
  await rejectsCode(store.decrypt(ciphertextBlob, dry), 'DryRunOperationException')
  throwsCode(() => store.reEncryptSync(ciphertextBlob, keyId, dry), 'DryRunOperationException')
  throwsCode(() => store.generateDataKeySync(keyId, { numberOfBytes: 32, ...dry }), 'DryRunOperationException')
  throwsCode(() => store.generateDataKeyWithoutPlaintextSync(keyId, { keySpec: 'AES_256', ...dry }), 'DryRunOperationException')
  throwsCode(() => store.generateDataKeyPairSync(keyId, 'ECC_NIST_P256', dry), 'DryRunOperationException')
  throwsCode(() => store.generateMacSync(mac, data, 'HMAC_SHA_256', dry), 'DryRunOperationException')
  const { mac: tag } = store.generateMacSync(mac, data, 'HMAC_SHA_256')
  await rejectsCode(store.verifyMac(mac, data, tag, 'HMAC_SHA_256', dry), 'DryRunOperationException')
  throwsCode(() => store.signSync(signing, data, 'ECDSA_SHA_256', dry), 'DryRunOperationException')
  const { signature } = store.signSync(signing, data, 'ECDSA_SHA_256')
  throwsCode(() => store.verifySync(signing, data, signature, 'ECDSA_SHA_256', dry), 'DryRunOperationException')
  // A dry run that would fail fails with the real error.
  throwsCode(() => store.asPrincipal(OUTSIDER).encryptSync(keyId, data, dry), 'AccessDeniedException')
  store.disableKeySync(keyId)
  throwsCode(() => store.encryptSync(keyId, data, dry), 'DisabledException')
  // Dry runs are counted as client errors, never as successes.
  const snapshot = store.metricsSnapshotSync()
  const encrypts = snapshot.series.filter((s) => s.operation === 'Encrypt' && s.keyId === keyId)
  assert.equal(encrypts.filter((s) => s.outcome === 'ok').reduce((n, s) => n + s.count, 0), 1)
  assert.equal(encrypts.find((s) => s.errorCode === 'DryRunOperationException').count, 1)
})

test('explain names the deciding statements and grants', async () => {
  const store = open()
  const admin = store.asPrincipal(ADMIN)
  const { keyId } = admin.createKeySync({ policy: policyFor(ADMIN) })
  const checkout = store.asPrincipal(CHECKOUT)
  assert.deepEqual(await checkout.explain(keyId, 'kms:Encrypt', { encryptionContext: { purpose: 'orders' } }), {
    decision: 'Allow', allowed: true, policyStatements: ['CheckoutUse'], grantIds: [],
  })
  const no = checkout.explainSync(keyId, 'kms:Encrypt')
  assert.equal(no.allowed, false)
  assert.equal(no.decision, 'ImplicitDeny')
  const grant = admin.createGrantSync(keyId, CHECKOUT, ['DescribeKey'])
  const viaGrant = checkout.explainSync(keyId, 'kms:DescribeKey')
  assert.equal(viaGrant.allowed, true)
  assert.deepEqual(viaGrant.grantIds, [grant.grantId])
  // Extra condition keys.
  const deny = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'All', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:*', Resource: '*' },
      { Sid: 'NotFromOutside', Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
    ],
  })
  admin.putKeyPolicySync(keyId, deny, { bypassPolicyLockoutSafetyCheck: true })
  const outside = admin.explainSync(keyId, 'kms:Decrypt', { conditions: { 'aws:SourceIp': '192.0.2.1' } })
  assert.deepEqual([outside.decision, outside.policyStatements], ['ExplicitDeny', ['NotFromOutside']])
  const inside = admin.explainSync(keyId, 'kms:Decrypt', { conditions: { 'aws:SourceIp': '10.1.2.3' } })
  assert.deepEqual([inside.decision, inside.policyStatements], ['Allow', ['All']])
  throwsCode(() => checkout.explainSync(keyId, 's3:GetObject'), 'ValidationException')
  await rejectsCode(checkout.explain('00000000-0000-4000-8000-000000000000', 'kms:Encrypt'), 'NotFoundException')
})

test('metrics count every call by operation, key and outcome; Prometheus text', async () => {
  const store = open({ audit: false })
  const { keyId } = store.createKeySync()
  for (let i = 0; i < 3; i++) store.encryptSync(keyId, data)
  await store.encrypt(keyId, data)
  throwsCode(() => store.asPrincipal(OUTSIDER).encryptSync(keyId, data), 'AccessDeniedException')
  throwsCode(() => store.describeKeySync('alias/missing'), 'NotFoundException')
  const snapshot = await store.metricsSnapshot()
  const count = (operation, outcome, id = keyId) => snapshot.series
    .filter((s) => s.operation === operation && s.outcome === outcome && s.keyId === id)
    .reduce((n, s) => n + s.count, 0)
  assert.equal(count('Encrypt', 'ok'), 4)
  assert.equal(count('Encrypt', 'denied'), 1)
  assert.equal(count('CreateKey', 'ok'), 1)
  const series = snapshot.series.find((s) => s.operation === 'Encrypt' && s.outcome === 'ok')
  assert.equal(series.errorCode, '')
  assert.equal(series.cumulativeBuckets.length, snapshot.bucketBoundsSeconds.length + 1)
  assert.equal(series.cumulativeBuckets.at(-1), 4)
  assert.ok(series.sumSeconds > 0)
  const denied = snapshot.series.find((s) => s.outcome === 'denied')
  assert.equal(denied.errorCode, 'AccessDeniedException')
  assert.ok(snapshot.series.some((s) => s.operation === 'DescribeKey' && s.errorCode === 'NotFoundException'))
  const last = snapshot.lastUsage.find((u) => u.keyId === keyId)
  assert.equal(last.operation, 'Encrypt')
  assert.ok(Math.abs(last.timestamp - Date.now() / 1000) < 600, 'seconds since the epoch')
  assert.ok(snapshot.takenAt >= snapshot.since)
  // Narrowed handles share the metrics of their store handle.
  assert.deepEqual(store.asPrincipal(CHECKOUT).metricsSnapshotSync().series.length >= snapshot.series.length, true)

  const text = store.metricsPrometheusSync()
  assert.equal(text, await store.metricsPrometheus())
  assert.match(text, /^# TYPE keystead_requests_total counter$/m)
  const line = text.split('\n').find((l) => l.startsWith('keystead_requests_total{') && l.includes('operation="Encrypt"') && l.includes('outcome="ok"'))
  assert.ok(line.includes(`key_id="${keyId}"`), line)
  assert.ok(line.endsWith(' 4'), line)
  assert.match(text, /keystead_request_duration_seconds_bucket\{.*le="\+Inf"\} \d+/)
})

test('audit events are written for a store opened from a folder, and can be turned off', async () => {
  const folder = tempDir('audit')
  const store = await Keystead.open(folder)
  assert.equal(store.auditDir, path.join(folder, 'audit'))
  const { keyId, arn } = store.createKeySync()
  const checkout = store.asPrincipal(CHECKOUT, { accessKeyId: 'AKIAEXAMPLEKEY000001' })
  const secret = Buffer.from('4111-1111-1111-1111 secret-plaintext-marker')
  const { ciphertextBlob } = await checkout.encrypt(keyId, secret, { encryptionContext: { order: '42' } })
  throwsCode(() => store.decryptSync(ciphertextBlob), 'InvalidCiphertextException')
  throwsCode(() => store.asPrincipal(OUTSIDER).describeKeySync(keyId), 'AccessDeniedException')
  store.createGrantSync(keyId, ANALYTICS, ['Decrypt'])

  const events = auditEvents(store.auditDir)
  assert.deepEqual(events.map((e) => e.eventName), ['CreateKey', 'Encrypt', 'Decrypt', 'DescribeKey', 'CreateGrant'])
  const [, encrypt, failed, denied, grant] = events
  assert.equal(encrypt.eventSource, 'kms.amazonaws.com')
  assert.equal(encrypt.userIdentity.arn, CHECKOUT)
  assert.equal(encrypt.userIdentity.accessKeyId, 'AKIAEXAMPLEKEY000001')
  assert.equal(encrypt.requestParameters.keyId, keyId)
  assert.deepEqual(encrypt.requestParameters.encryptionContext, { order: '42' })
  assert.equal(encrypt.resources[0].ARN, arn)
  assert.equal(failed.errorCode, 'InvalidCiphertextException')
  assert.equal(denied.errorCode, 'AccessDeniedException')
  assert.equal(denied.userIdentity.arn, OUTSIDER)
  assert.equal(grant.requestParameters.granteePrincipal, ANALYTICS)
  // No plaintext or ciphertext in the log.
  const raw = fs.readdirSync(store.auditDir).map((f) => fs.readFileSync(path.join(store.auditDir, f))).reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0))
  for (const needle of [secret, ciphertextBlob, Buffer.from(secret.toString('base64')), Buffer.from(ciphertextBlob.toString('base64'))]) {
    assert.equal(raw.indexOf(needle), -1)
  }

  // HMAC'd context values.
  const hmacFolder = tempDir('audit-hmac')
  const hashed = Keystead.openSync(hmacFolder, { audit: { hmacContextValues: true, durability: 'PER_RECORD' } })
  const hashedKey = hashed.createKeySync().keyId
  hashed.encryptSync(hashedKey, data, { encryptionContext: { customer: 'alice-private-marker' } })
  const logged = auditEvents(hashed.auditDir)[1].requestParameters.encryptionContext.customer
  assert.match(logged, /^hmac-sha256:[0-9a-f]{64}$/)

  // audit: false writes nothing; the calls are still counted.
  const quietFolder = tempDir('audit-off')
  const quiet = Keystead.openSync(quietFolder, { audit: false })
  assert.equal(quiet.auditDir, null)
  quiet.encryptSync(quiet.createKeySync().keyId, data)
  assert.ok(!fs.existsSync(path.join(quietFolder, 'audit')) || fs.readdirSync(path.join(quietFolder, 'audit')).length === 0)
  assert.equal(quiet.metricsSnapshotSync().series.filter((s) => s.operation === 'Encrypt')[0].count, 1)
  throwsTypeError(() => Keystead.openSync(tempDir('audit-bad'), { audit: { durability: 'SOMETIMES' } }))
})
