// Outgoing mail: queued in the caller's transaction, delivered by the mail.send job through a real SMTP
// server on 127.0.0.1, or stored and shown in the development mailbox when no SMTP server is set.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../src/platform/ids.js'
import type { MailMessage } from '../../src/platform/mail/mailer.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { makeJobsDue, pendingJobs, runJobs } from '../support/jobs.js'
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js'

const send = (t: TestApp, msg: MailMessage) => t.platform.db.tenant({ orgId: msg.orgId ?? null, userId: null }, (db) => t.platform.mail.send(db, msg))

async function mailRow(t: TestApp, id: string) {
  return t.platform.db.owner.selectFrom('mail_messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe('mail without SMTP (development)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp()
  })
  afterAll(() => t.close())

  it('stores the message, and the mailbox shows it with its links', async () => {
    const id = await send(t, {
      to: 'Ada@Example.com',
      subject: 'Reset your password',
      text: 'Open https://app.example.com/reset?token=abc123 within an hour.',
      html: '<p>Open <a href="https://app.example.com/reset?token=abc123">this link</a>.</p>',
    })
    expect((await mailRow(t, id)).status).toBe('queued')
    expect(await pendingJobs(t)).toEqual({ 'mail.send': 1 })

    await runJobs(t)
    expect((await mailRow(t, id)).status).toBe('stored')
    expect(await pendingJobs(t)).toEqual({})

    const res = await t.request({ method: 'GET', url: '/api/dev/mailbox?to=ada@example.com' })
    expect(res.statusCode).toBe(200)
    expect(res.data.hasMore).toBe(false)
    expect(res.data.data).toHaveLength(1)
    expect(res.data.data[0]).toMatchObject({
      id,
      to: 'Ada@Example.com',
      subject: 'Reset your password',
      status: 'stored',
      links: ['https://app.example.com/reset?token=abc123'],
      sentAt: null,
    })
    expect(res.data.data[0].html).toContain('<a href=')
  })

  it('lists newest first, filters by recipient and pages with a cursor', async () => {
    const first = await send(t, { to: 'grace@example.com', subject: 'One', text: 'first' })
    const second = await send(t, { to: 'grace@example.com', subject: 'Two', text: 'second' })
    await send(t, { to: 'someone@example.com', subject: 'Other', text: 'other' })

    const page1 = await t.request({ method: 'GET', url: '/api/v1/dev/mailbox?to=GRACE@example.com&limit=1' })
    expect(page1.data.data.map((m: { id: string }) => m.id)).toEqual([second])
    expect(page1.data.hasMore).toBe(true)
    const page2 = await t.request({ method: 'GET', url: `/api/v1/dev/mailbox?to=grace@example.com&limit=1&cursor=${page1.data.nextCursor}` })
    expect(page2.data.data.map((m: { id: string }) => m.id)).toEqual([first])
    expect(page2.data).toMatchObject({ hasMore: false, nextCursor: null })

    const all = await t.request({ method: 'GET', url: '/api/v1/dev/mailbox' })
    const ids: string[] = all.data.data.map((m: { id: string }) => m.id)
    expect(ids).toEqual([...ids].sort().reverse())
  })

  it('rejects bad mailbox queries with 400', async () => {
    for (const url of ['/api/v1/dev/mailbox?limit=0', '/api/v1/dev/mailbox?cursor=nope', '/api/v1/dev/mailbox?unknown=1']) {
      const res = await t.request({ method: 'GET', url })
      expect(res.statusCode, url).toBe(400)
      expect(res.data.error.code).toBe('validation_failed')
    }
  })

  it('queues nothing when the transaction rolls back', async () => {
    const before = await pendingJobs(t)
    await expect(
      t.platform.db.tenant({ orgId: null, userId: null }, async (db) => {
        await t.platform.mail.send(db, { to: 'rollback@example.com', subject: 'Never', text: 'never sent' })
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await pendingJobs(t)).toEqual(before)
    const res = await t.request({ method: 'GET', url: '/api/v1/dev/mailbox?to=rollback@example.com' })
    expect(res.data.data).toEqual([])
  })

  it('refuses recipients that are not a bare address and multi-line subjects', async () => {
    await expect(send(t, { to: 'not-an-address', subject: 'x', text: 'x' })).rejects.toMatchObject({ status: 400 })
    await expect(send(t, { to: 'a@example.com\r\nBcc: b@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({ status: 400 })
    await expect(send(t, { to: 'a@example.com', subject: 'x\r\nBcc: b@example.com', text: 'x' })).rejects.toMatchObject({ status: 400 })
  })

  it('lets the application role queue mail but not read it, nor queue it for another organization', async () => {
    await send(t, { to: 'private@example.com', subject: 'Private', text: 'secret link' })
    const { rows } = await sql`SELECT * FROM mail_messages`.execute(t.platform.db.app)
    expect(rows).toEqual([])
    const orgA = newId()
    const orgB = newId()
    await expect(
      t.platform.db.tenant({ orgId: orgA, userId: null }, (db) => t.platform.mail.send(db, { to: 'x@example.com', subject: 'x', text: 'x', orgId: orgB })),
    ).rejects.toThrow(/row-level security/)
    const ok = await send(t, { to: 'x@example.com', subject: 'x', text: 'x', orgId: orgA })
    expect((await mailRow(t, ok)).org_id).toBe(orgA)
  })
})

describe('mail through SMTP', () => {
  let t: TestApp
  let smtp: TestSmtpServer
  beforeAll(async () => {
    smtp = await startSmtpServer()
    t = await createTestApp({ SMTP_URL: smtp.url, MAIL_FROM: 'Luminous <no-reply@luminous.test>' })
  })
  afterAll(async () => {
    await t.close()
    await smtp.close()
  })

  it('delivers the message with its headers and both bodies', async () => {
    const id = await send(t, {
      to: 'ada@example.com',
      subject: 'Welcome to Luminous',
      text: 'Verify your address: https://app.example.com/verify?token=xyz',
      html: '<p>Verify your address</p>',
    })
    await runJobs(t)
    expect(smtp.received).toHaveLength(1)
    const mail = smtp.received[0]!
    expect(mail.from).toBe('no-reply@luminous.test')
    expect(mail.to).toEqual(['ada@example.com'])
    expect(mail.headers.from).toBe('Luminous <no-reply@luminous.test>')
    expect(mail.headers.to).toBe('ada@example.com')
    expect(mail.headers.subject).toBe('Welcome to Luminous')
    expect(mail.headers['message-id']).toBe(`<${id}@luminous.test>`)
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/)
    expect(mail.body).toContain('Verify your address: https://app.example.com/verify?token=xyz')
    expect(mail.body).toContain('<p>Verify your address</p>')

    const row = await mailRow(t, id)
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null, provider_message_id: `<${id}@luminous.test>` })
    expect(row.sent_at).toBeInstanceOf(Date)
    // Development keeps the body for the mailbox.
    expect(row.text_body).toContain('verify?token=xyz')
  })

  it('retries with backoff when the SMTP server refuses, then delivers', async () => {
    smtp.received.length = 0
    smtp.failNext(1)
    const id = await send(t, { to: 'grace@example.com', subject: 'Retry me', text: 'hello' })
    await runJobs(t)
    expect(smtp.received).toHaveLength(0)
    const failed = await mailRow(t, id)
    expect(failed).toMatchObject({ status: 'queued', attempts: 1 })
    expect(failed.last_error).toMatch(/451|Try again later/)
    // The job is rescheduled in the future, so running the queue now does nothing...
    await runJobs(t)
    expect(smtp.received).toHaveLength(0)
    expect(await pendingJobs(t)).toEqual({ 'mail.send': 1 })
    // ...until its backoff has passed.
    await makeJobsDue(t)
    await runJobs(t)
    expect(smtp.received).toHaveLength(1)
    expect(await mailRow(t, id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null })
    expect(await pendingJobs(t)).toEqual({})
  })

  it('marks the message failed after the last attempt', async () => {
    smtp.received.length = 0
    smtp.failNext(1)
    const id = await send(t, { to: 'lin@example.com', subject: 'Give up', text: 'hello' })
    await sql`UPDATE graphile_worker._private_jobs SET max_attempts = 1`.execute(t.platform.db.owner)
    await runJobs(t)
    const row = await mailRow(t, id)
    expect(row).toMatchObject({ status: 'failed', attempts: 1 })
    expect(row.last_error).toMatch(/451|Try again later/)
    expect(smtp.received).toHaveLength(0)
  })
})

describe('mail in production', () => {
  let t: TestApp
  let smtp: TestSmtpServer
  beforeAll(async () => {
    smtp = await startSmtpServer()
    t = await createTestApp({ NODE_ENV: 'production', SMTP_URL: smtp.url })
  })
  afterAll(async () => {
    await t.close()
    await smtp.close()
  })

  it('has no development mailbox', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/dev/mailbox' })
    expect(res.statusCode).toBe(404)
  })

  it('does not keep the bodies of sent mail, which carry single-use links', async () => {
    const id = await send(t, { to: 'ada@example.com', subject: 'Reset', text: 'https://app.example.com/reset?token=secret', html: '<p>x</p>' })
    await runJobs(t)
    expect(smtp.received).toHaveLength(1)
    expect(await mailRow(t, id)).toMatchObject({ status: 'sent', text_body: null, html_body: null })
  })
})
