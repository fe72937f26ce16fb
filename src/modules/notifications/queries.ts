// SQL for notifications. Row-level security already limits every read and update to the caller's own
// rows in the current organization; the explicit user filters let the indexes serve the queries.
import type { Executor } from '../../platform/db/database.js'
import './tables.js'

export interface NewNotificationRow {
  id: string
  org_id: string
  user_id: string
  type: string
  title: string
  body: string | null
  data: Record<string, unknown>
  created_at: Date
}

// No RETURNING: the row usually belongs to another user, whom the inserting transaction cannot see.
export async function insertNotification(db: Executor, row: NewNotificationRow): Promise<void> {
  await db
    .insertInto('notifications')
    .values({ ...row, data: JSON.stringify(row.data) })
    .execute()
}

export const notificationsQuery = (db: Executor, orgId: string, userId: string, unreadOnly: boolean) => {
  let q = db.selectFrom('notifications').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId)
  if (unreadOnly) q = q.where('read_at', 'is', null)
  return q
}

export async function countUnread(db: Executor, orgId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export function findNotification(db: Executor, orgId: string, userId: string, id: string) {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst()
}

/** Marks one unread notification read; undefined when it is not the user's or was read already. */
export function markRead(db: Executor, orgId: string, userId: string, id: string, at: Date) {
  return db
    .updateTable('notifications')
    .set({ read_at: at })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

export async function markAllRead(db: Executor, orgId: string, userId: string, at: Date): Promise<number> {
  const r = await db
    .updateTable('notifications')
    .set({ read_at: at })
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirst()
  return Number(r.numUpdatedRows)
}
