// Envelope encryption of order records with Keystead and node:crypto.
//
// One KMS key protects the orders. For each record we ask Keystead for a fresh data key
// (GenerateDataKey), encrypt the record locally with AES-256-GCM under that data key, and store
// the encrypted record together with the *encrypted* data key. The encryption context
// ({ orderId, purpose }) is bound twice: into the encrypted data key by Keystead, and into the
// GCM tag as additional authenticated data, so a record cannot be swapped with another one.
//
//   node examples/node/orders.mjs [folder]      (default: a temporary folder, removed at exit)
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// An application would write: const { Keystead } = require('keystead')
const { Keystead } = require('../../node/keystead.js')

const given = process.argv[2]
const base = given ?? fs.mkdtempSync(path.join(os.tmpdir(), 'keystead-orders-'))
const storeDir = path.join(base, 'keystore')
const ordersDir = path.join(base, 'orders')
fs.mkdirSync(ordersDir, { recursive: true })

const store = await Keystead.open(storeDir)
// The alias names the key; the first run creates both.
const keyId = 'alias/orders'
try {
  await store.describeKey(keyId)
} catch (err) {
  if (err.code !== 'NotFoundException') throw err
  const key = await store.createKey({ description: 'order records', tags: [{ tagKey: 'app', tagValue: 'shop' }] })
  await store.createAlias('alias/orders', key.keyId)
}

function contextOf (orderId) {
  return { orderId, purpose: 'order-record' }
}

async function saveOrder (order) {
  const encryptionContext = contextOf(order.id)
  const dataKey = await store.generateDataKey(keyId, { encryptionContext, keySpec: 'AES_256' })
  try {
    const iv = crypto.randomBytes(12)
    const cipher = crypto.createCipheriv('aes-256-gcm', dataKey.plaintext, iv)
    cipher.setAAD(Buffer.from(JSON.stringify(encryptionContext)))
    const body = Buffer.concat([cipher.update(JSON.stringify(order)), cipher.final()])
    const record = {
      orderId: order.id,
      encryptedDataKey: dataKey.ciphertextBlob.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      body: body.toString('base64'),
    }
    fs.writeFileSync(path.join(ordersDir, `${order.id}.json`), JSON.stringify(record, null, 2))
  } finally {
    dataKey.plaintext.fill(0) // drop the data key as soon as the record is sealed
  }
}

async function loadOrder (orderId) {
  const record = JSON.parse(fs.readFileSync(path.join(ordersDir, `${orderId}.json`), 'utf8'))
  const encryptionContext = contextOf(record.orderId)
  const { plaintext: dataKey } = await store.decrypt(Buffer.from(record.encryptedDataKey, 'base64'), { encryptionContext })
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', dataKey, Buffer.from(record.iv, 'base64'))
    decipher.setAAD(Buffer.from(JSON.stringify(encryptionContext)))
    decipher.setAuthTag(Buffer.from(record.tag, 'base64'))
    const json = Buffer.concat([decipher.update(Buffer.from(record.body, 'base64')), decipher.final()])
    return JSON.parse(json.toString('utf8'))
  } finally {
    dataKey.fill(0)
  }
}

const order = {
  id: `order-${Date.now()}`,
  customer: 'Ada Lovelace',
  card: '4111 1111 1111 1111',
  items: [{ sku: 'KS-1', quantity: 2, price: '19.90' }],
}
await saveOrder(order)
const stored = fs.readFileSync(path.join(ordersDir, `${order.id}.json`), 'utf8')
if (stored.includes(order.card) || stored.includes(order.customer)) throw new Error('plaintext leaked into the stored record')
const back = await loadOrder(order.id)
if (JSON.stringify(back) !== JSON.stringify(order)) throw new Error('round trip failed')

// A record moved under another order id no longer opens: the context is bound.
fs.copyFileSync(path.join(ordersDir, `${order.id}.json`), path.join(ordersDir, 'order-forged.json'))
const forged = JSON.parse(fs.readFileSync(path.join(ordersDir, 'order-forged.json'), 'utf8'))
forged.orderId = 'order-forged'
fs.writeFileSync(path.join(ordersDir, 'order-forged.json'), JSON.stringify(forged))
try {
  await loadOrder('order-forged')
  throw new Error('a forged record opened')
} catch (err) {
  if (err.code !== 'InvalidCiphertextException') throw err
}

console.log(`orders example: stored and read back ${order.id} in ${ordersDir} (forged copy rejected: InvalidCiphertextException)`)
if (!given) fs.rmSync(base, { recursive: true, force: true })
