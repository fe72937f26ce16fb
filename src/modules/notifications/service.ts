// Notifications: `notify` for the modules that raise them, and the signed-in member's own inbox.
import type { Ctx } from '../../platform/context.js'
import type { Executor } from '../../platform/db/database.js'
import { ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js'
import { publish, publishIn, rooms } from '../../platform/events/outbox.js'
import { list, type ListParams } from '../../platform/http/lists.js'
import { newId } from '../../platform/ids.js'
import { notificationList } from './lists.js'
import { countUnread, findNotification, insertNotification, markAllRead, markRead, notificationsQuery } from './queries.js'
import type { NotificationDto, NotificationPageDto, ReadAllDto } from './schemas.js'
import type { NotificationsTable } from './tables.js'

/** Where a notification is written: a request context, or any transaction scoped to the organization. */
export interface NotifyTarget {
  db: Executor
  orgId: string
}

export interface NotifyInput {
  /** The recipient; must be a member of the organization. */
  userId: string
  type: string
  title: string
  body?: string | null
  data?: Record<string, unknown>
}

interface NotificationRow {
  id: string
  type: string
  title: string
  body: string | null
  data: Record<string, unknown> | NotificationsTable['data']
  read_at: Date | null
  created_at: Date
}

export const toNotificationDto = (r: NotificationRow): NotificationDto => ({
  id: r.id,
  type: r.type,
  title: r.title,
  body: r.body,
  data: r.data as Record<string, unknown>,
  readAt: r.read_at ? r.read_at.toISOString() : null,
  createdAt: r.created_at.toISOString(),
})

/**
 * Notifies a member of the organization: stores the notification and, in the same transaction,
 * publishes `notification.created` (the same object GET /notifications returns) to the user's room,
 * so a connected client shows it at once and a reconnecting one catches up.
 */
export async function notify(target: NotifyTarget, input: NotifyInput): Promise<NotificationDto> {
  const type = input.type.trim()
  const title = input.title.trim()
  if (type.length < 1 || type.length > 100) throw ValidationError.field('type', 'must be 1 to 100 characters')
  if (title.length < 1 || title.length > 500) throw ValidationError.field('title', 'must be 1 to 500 characters')
  if (input.body && input.body.length > 5000) throw ValidationError.field('body', 'must be at most 5000 characters')
  // Milliseconds, as PostgreSQL will store and return them, so the event and the list agree exactly.
  const row = {
    id: newId(),
    org_id: target.orgId,
    user_id: input.userId,
    type,
    title,
    body: input.body ?? null,
    data: input.data ?? {},
    created_at: new Date(),
  }
  await insertNotification(target.db, row)
  const dto = toNotificationDto({ ...row, read_at: null })
  await publishIn(target.db, target.orgId, {
    type: 'notification.created',
    aggregate: 'notification',
    aggregateId: row.id,
    rooms: [rooms.user(input.userId)],
    payload: dto,
  })
  return dto
}

/** Notifications belong to people; an API key acting for the organization has none. */
function recipient(ctx: Ctx): string {
  if (!ctx.userId) throw new ForbiddenError('Notifications belong to users; sign in to read them')
  return ctx.userId
}

export async function listNotifications(ctx: Ctx, params: ListParams & { unread?: boolean }): Promise<NotificationPageDto> {
  const userId = recipient(ctx)
  const page = await list(ctx, notificationsQuery(ctx.db, ctx.orgId, userId, params.unread === true), notificationList, params, toNotificationDto)
  return { ...page, unreadCount: await countUnread(ctx.db, ctx.orgId, userId) }
}

export async function readNotification(ctx: Ctx, id: string): Promise<NotificationDto> {
  const userId = recipient(ctx)
  const updated = await markRead(ctx.db, ctx.orgId, userId, id, new Date())
  if (!updated) {
    const existing = await findNotification(ctx.db, ctx.orgId, userId, id)
    if (!existing) throw new NotFoundError('Notification')
    return toNotificationDto(existing)
  }
  const dto = toNotificationDto(updated)
  // The user's other devices clear it too.
  await publish(ctx, {
    type: 'notification.read',
    aggregate: 'notification',
    aggregateId: id,
    rooms: [rooms.user(userId)],
    payload: dto,
  })
  return dto
}

export async function readAllNotifications(ctx: Ctx): Promise<ReadAllDto> {
  const userId = recipient(ctx)
  const at = new Date()
  const updated = await markAllRead(ctx.db, ctx.orgId, userId, at)
  const result = { updated, readAt: at.toISOString() }
  if (updated > 0) {
    await publish(ctx, {
      type: 'notification.read_all',
      aggregate: 'notification',
      aggregateId: userId,
      rooms: [rooms.user(userId)],
      payload: result,
    })
  }
  return result
}
