import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {smtpSettings} from '../../src/requests/mailer.js'
import {sendQueued} from '../../src/requests/notify.js'
import {withTransaction} from '../../src/db/tx.js'
import {enqueue} from '../../src/requests/outbox.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {TestSmtp} from '../support/smtp.js'

describe('sendQueued: the outbox after commit', () => {
  let db: TestDatabase
  const smtp = new TestSmtp()
  let n = 0

  beforeAll(async () => {
    db = await freshDatabase('notify')
    await smtp.start()
  })
  afterAll(async () => {
    await smtp.stop()
    await db.drop()
  })

  const queue = (count = 1) => withTransaction(db.pool, (tx) => enqueue(tx, Array.from({length: count}, () => ({kind: 'test', recipient: `r${++n}@example.com`, subject: `message ${n}`, body: 'hello'}))))
  const received = (id: number) => smtp.received.filter((m) => m.subject === `message ${id}`).length

  it('returns the ids it queued, and sends exactly those', async () => {
    await queue(1)
    const ids = await queue(2)
    expect(ids).toHaveLength(2)
    const report = await sendQueued(db.pool, ids, smtpSettings(smtp.url))
    expect(report).toMatchObject({sent: 2, failed: [], waiting: 0, busy: 0})
    expect(received(n)).toBe(1)
    expect(received(n - 2)).toBe(0)
  })

  it('leaves the messages waiting when no SMTP server is configured', async () => {
    const ids = await queue(1)
    expect(await sendQueued(db.pool, ids, undefined)).toMatchObject({sent: 0, waiting: 1, waitReason: 'no-smtp'})
    expect((await db.sql('SELECT status FROM ipam_outbox WHERE id = ?', ids))[0].status).toBe('PENDING')
  })

  it('treats a SENDING claim as held until it expires, then sends the message once', async () => {
    const [id] = await queue(1)
    await db.sql("UPDATE ipam_outbox SET status = 'SENDING', claimed_by = 'dead', claimed_at = NOW(6), claim_expires_at = NOW(6) + INTERVAL 1 HOUR WHERE id = ?", [id])
    expect(await sendQueued(db.pool, [id], smtpSettings(smtp.url))).toMatchObject({sent: 0, busy: 1})
    await db.sql('UPDATE ipam_outbox SET claim_expires_at = NOW(6) - INTERVAL 1 SECOND WHERE id = ?', [id])
    const [a, b] = await Promise.all([sendQueued(db.pool, 'all', smtpSettings(smtp.url)), sendQueued(db.pool, 'all', smtpSettings(smtp.url))])
    expect(a.sent + b.sent).toBeGreaterThanOrEqual(1)
    expect(received(id)).toBe(1)
    expect((await db.sql('SELECT status, claim_expires_at FROM ipam_outbox WHERE id = ?', [id]))[0]).toMatchObject({status: 'SENT', claim_expires_at: null})
  })

  it('reads the timeouts from the SMTP URL and refuses a bad one', () => {
    expect(smtpSettings('smtp://h:25/?sendTimeout=1500&greetingTimeout=700').timeouts).toEqual({connectionTimeout: 10_000, greetingTimeout: 700, socketTimeout: 20_000, sendTimeout: 1500})
    expect(() => smtpSettings('smtp://h:25/?sendTimeout=soon')).toThrow(/milliseconds/)
    expect(() => smtpSettings('http://h')).toThrow(/smtp:\/\//)
    expect(smtpSettings('smtp://u:p%40ss@h:25').secrets).toEqual(['p%40ss', 'p@ss'])
  })
})
