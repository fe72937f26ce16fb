// Reading stored mail back: the development mailbox. Runs as system work because the application
// role may only queue mail (see migration 0030).
import type { Executor } from '../db/database.js'
import type { MailMessageRow } from './tables.js'
import './tables.js'

export interface MailboxQuery {
  to?: string
  /** Only messages older than this id (ids are UUIDv7, so id order is creation order). */
  before?: string
  limit: number
}

/** Newest first; one extra row tells the caller whether more exist. */
export async function listMail(db: Executor, q: MailboxQuery): Promise<MailMessageRow[]> {
  let query = db.selectFrom('mail_messages').selectAll().orderBy('id', 'desc').limit(q.limit + 1)
  if (q.to) query = query.where('to_address', '=', q.to)
  if (q.before) query = query.where('id', '<', q.before)
  return query.execute()
}
