// Domain events go to the transactional outbox, in the transaction of the change. The dispatcher
// (dispatcher.ts) delivers them after commit to socket rooms and other consumers, at least once and in
// order; a client that reconnects asks for events after the last id it saw.
import type { Ctx } from '../context.js'
import type { Executor } from '../db/database.js'
import '../audit-tables.js'

export interface DomainEvent {
  /** Event name as API-CONVENTIONS gives it: `message.sent`, `notification.created`, ... */
  type: string
  aggregate: string
  aggregateId: string
  /** Socket rooms: `rooms.org(id)`, `rooms.user(id)`, `rooms.chat(id)`. */
  rooms: string[]
  /** The same object the REST API returns for the aggregate. */
  payload: unknown
}

export const rooms = {
  org: (id: string) => `org:${id}`,
  user: (id: string) => `user:${id}`,
  chat: (id: string) => `chat:${id}`,
}

export async function publishIn(db: Executor, orgId: string, event: DomainEvent): Promise<void> {
  await db
    .insertInto('outbox_events')
    .values({
      org_id: orgId,
      type: event.type,
      aggregate: event.aggregate,
      aggregate_id: event.aggregateId,
      rooms: event.rooms,
      payload: JSON.stringify(event.payload),
    })
    .execute()
}

export const publish = (ctx: Ctx, event: DomainEvent): Promise<void> => publishIn(ctx.db, ctx.orgId, event)
