// Outgoing e-mail. `send` writes the message and enqueues its delivery job in the caller's transaction,
// so a rolled-back change sends nothing and a committed one is delivered even if the process dies.
// The job sends through SMTP (nodemailer) when SMTP_URL is set, retrying with graphile-worker's
// exponential backoff; without SMTP the message is only stored (readable at /api/v1/dev/mailbox
// outside production) and its links are logged so a developer can follow them.
import nodemailer, { type Transporter } from 'nodemailer'
import type { Config } from '../../config.js'
import type { Db, Executor } from '../db/database.js'
import { ValidationError } from '../errors.js'
import { newId } from '../ids.js'
import type { JobHandler, JobQueue } from '../jobs/queue.js'
import './tables.js'

export interface MailMessage {
  to: string
  subject: string
  text: string
  html?: string
  /** The organization the mail is about; null for mail before sign-in (password reset). */
  orgId?: string | null
}

interface MailLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export const MAIL_TASK = 'mail.send'
/** About a day and a half of retries under graphile-worker's exp(attempt) second backoff. */
export const MAIL_MAX_ATTEMPTS = 12

const URL_RE = /https?:\/\/[^\s<>"')\]]+/g
export const linksIn = (text: string): string[] => [...new Set(text.match(URL_RE) ?? [])]

// A bare address, no display name, no line breaks (which would let a caller smuggle in headers).
const ADDRESS_RE = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/

export interface MailerDeps {
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'isProduction'>
  db: Db
  jobs: JobQueue
  log: MailLog
}

export class Mailer {
  private readonly transport: Transporter | null
  private readonly messageIdDomain: string

  constructor(private readonly deps: MailerDeps) {
    const { config } = deps
    this.transport = config.SMTP_URL
      ? nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 })
      : null
    this.messageIdDomain = /@([^>\s]+)>?\s*$/.exec(config.MAIL_FROM)?.[1] ?? 'luminous.local'
    deps.jobs.register<{ id: string }>(MAIL_TASK, this.deliver)
  }

  /** True when mail leaves the process (SMTP), false when it is only stored. */
  get delivers(): boolean {
    return this.transport !== null
  }

  /**
   * Queues a message in the caller's transaction and returns its id. Delivery happens after commit,
   * in the `mail.send` job.
   */
  async send(db: Executor, msg: MailMessage): Promise<string> {
    const to = msg.to.trim()
    if (!ADDRESS_RE.test(to)) throw ValidationError.field('to', 'must be an e-mail address')
    if (/[\r\n]/.test(msg.subject)) throw ValidationError.field('subject', 'must be a single line')
    const id = newId()
    // No RETURNING: the application role may insert mail but not read it back.
    await db
      .insertInto('mail_messages')
      .values({ id, org_id: msg.orgId ?? null, to_address: to, subject: msg.subject, text_body: msg.text, html_body: msg.html ?? null, last_error: null, provider_message_id: null, sent_at: null })
      .execute()
    await this.deps.jobs.enqueue(db, MAIL_TASK, { id }, { jobKey: id, maxAttempts: MAIL_MAX_ATTEMPTS })
    return id
  }

  private readonly deliver: JobHandler<{ id: string }> = async ({ id }, helpers) => {
    const { db, log, config } = this.deps
    const row = await db.owner.selectFrom('mail_messages').selectAll().where('id', '=', id).executeTakeFirst()
    // Already handled (a replayed job after a crash between sending and recording) or gone.
    if (!row || row.status !== 'queued') return

    if (!this.transport) {
      await db.owner.updateTable('mail_messages').set({ status: 'stored' }).where('id', '=', id).execute()
      if (config.isProduction) {
        log.warn({ mailId: id, to: row.to_address, subject: row.subject }, 'mail stored but not sent: SMTP_URL is not set')
      } else {
        // Links carry single-use tokens; they are logged in development only, where they are the point.
        log.info({ mailId: id, to: row.to_address, subject: row.subject, links: linksIn(row.text_body ?? '') }, 'mail stored (no SMTP_URL)')
      }
      return
    }

    try {
      const info = (await this.transport.sendMail({
        from: config.MAIL_FROM,
        to: row.to_address,
        subject: row.subject,
        text: row.text_body ?? '',
        ...(row.html_body ? { html: row.html_body } : {}),
        messageId: `<${id}@${this.messageIdDomain}>`,
      })) as { messageId?: string }
      await db.owner
        .updateTable('mail_messages')
        .set({
          status: 'sent',
          sent_at: new Date(),
          attempts: helpers.job.attempts,
          last_error: null,
          provider_message_id: info.messageId ?? null,
          ...(config.isProduction ? { text_body: null, html_body: null } : {}),
        })
        .where('id', '=', id)
        .execute()
    } catch (err) {
      const finalAttempt = helpers.job.attempts >= helpers.job.max_attempts
      const message = err instanceof Error ? err.message : String(err)
      await db.owner
        .updateTable('mail_messages')
        .set({ status: finalAttempt ? 'failed' : 'queued', attempts: helpers.job.attempts, last_error: message.slice(0, 1000) })
        .where('id', '=', id)
        .execute()
      if (finalAttempt) {
        log.error({ mailId: id, to: row.to_address, err: message }, 'mail delivery failed for good')
        return
      }
      // Rethrow so graphile-worker reschedules with backoff.
      throw err
    }
  }
}
