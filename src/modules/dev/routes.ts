import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { isUuid } from '../../platform/db/database.js'
import { ValidationError } from '../../platform/errors.js'
import { errorResponses, ListOf, Nullable, Obj, Timestamp, Uuid } from '../../platform/http/schemas.js'
import { listMail } from '../../platform/mail/mailbox.js'
import { linksIn } from '../../platform/mail/mailer.js'
import type { Platform } from '../../platform/platform.js'

const MailboxMessage = Obj({
  id: Uuid,
  to: Type.String({ examples: ['ada@example.com'] }),
  subject: Type.String({ examples: ['Reset your Luminous password'] }),
  text: Nullable(Type.String()),
  html: Nullable(Type.String()),
  links: Type.Array(Type.String(), { description: 'Links found in the text body, to click through in development' }),
  status: Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('stored'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  createdAt: Timestamp,
  sentAt: Nullable(Timestamp),
})

const MailboxQuery = Obj({
  to: Type.Optional(Type.String({ maxLength: 254, description: 'Only messages to this address (case-insensitive)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
})

export const devRoutes =
  (platform: Platform): FastifyPluginAsync =>
  async (app) => {
    if (platform.config.isProduction) return

    app.get<{ Querystring: { to?: string; limit?: number; cursor?: string } }>(
      '/dev/mailbox',
      {
        config: { auth: 'none' },
        schema: {
          tags: ['Development'],
          summary: 'Read the e-mail Luminous sent or stored (development only; absent in production)',
          querystring: MailboxQuery,
          response: { 200: ListOf(MailboxMessage), ...errorResponses(400) },
        },
      },
      async (request) => {
        const { to, limit = 50, cursor } = request.query
        if (cursor !== undefined && !isUuid(cursor)) throw ValidationError.field('cursor', 'is not a cursor from this list')
        const rows = await platform.db.system((db) => listMail(db, { limit, ...(to ? { to } : {}), ...(cursor ? { before: cursor } : {}) }))
        const page = rows.slice(0, limit)
        const hasMore = rows.length > limit
        return {
          data: page.map((r) => ({
            id: r.id,
            to: r.to_address,
            subject: r.subject,
            text: r.text_body,
            html: r.html_body,
            links: linksIn(r.text_body ?? ''),
            status: r.status,
            attempts: r.attempts,
            lastError: r.last_error,
            createdAt: r.created_at.toISOString(),
            sentAt: r.sent_at?.toISOString() ?? null,
          })),
          nextCursor: hasMore ? (page[page.length - 1]?.id ?? null) : null,
          hasMore,
        }
      },
    )
  }
