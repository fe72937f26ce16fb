// The user's avatar: any common image, stored through the files module as WebP no larger than
// 512×512; the previous one is removed when it is replaced.
import type { MultipartFile } from '@fastify/multipart'
import { audit } from '../../../platform/audit.js'
import type { Ctx } from '../../../platform/context.js'
import { NotFoundError, UnauthenticatedError } from '../../../platform/errors.js'
import { publish, rooms } from '../../../platform/events/outbox.js'
import { deleteFile, getFileRow, optionalFileUrl, saveImage } from '../../files/index.js'
import { lockUser, setTransactionOrg } from '../queries-account.js'
import { updateUser } from '../queries.js'
import { toUser, type User } from '../schemas.js'
import type { UsersRow } from '../tables.js'
import { requireUser } from './sessions.js'

export const AVATAR_PURPOSE = 'avatar'
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024
export const AVATAR_MAX_SIDE = 512

export const avatarUrl = optionalFileUrl

/**
 * Deletes the user's avatar file. An avatar belongs to the organization it was uploaded from, which
 * need not be the one the user acts in now; its row, audit entry and purge job belong there. So, for
 * this one statement sequence, the transaction's organization is switched to the file's and back —
 * still one transaction, so the switch cannot outlive it. Only a file that is this user's avatar
 * (visible through the files module's avatar policy) is touched.
 */
async function deleteAvatarFile(ctx: Ctx, userId: string, fileId: string): Promise<void> {
  let file
  try {
    file = await getFileRow(ctx, fileId)
  } catch (err) {
    if (err instanceof NotFoundError) return
    throw err
  }
  if (file.purpose !== AVATAR_PURPOSE || file.owner_id !== userId) return
  if (file.org_id === ctx.orgId) return deleteFile(ctx, fileId)
  await setTransactionOrg(ctx.db, file.org_id)
  await deleteFile({ ...ctx, orgId: file.org_id }, fileId)
  await setTransactionOrg(ctx.db, ctx.orgId)
}

/** Account deletion: the avatar file goes with the rest of the personal data. */
export async function removeAvatarFile(ctx: Ctx, user: Pick<UsersRow, 'id' | 'avatar_file_id'>): Promise<void> {
  if (user.avatar_file_id) await deleteAvatarFile(ctx, user.id, user.avatar_file_id)
}

async function replaceAvatar(ctx: Ctx, fileId: string | null): Promise<User> {
  const userId = requireUser(ctx).userId
  // Locked, so that two uploads at once each remove the avatar the other replaced.
  const before = await lockUser(ctx.db, userId)
  if (!before) throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
  let after = before
  if (before.avatar_file_id !== fileId) {
    after = (await updateUser(ctx.db, userId, { avatar_file_id: fileId })) ?? before
    if (before.avatar_file_id) await deleteAvatarFile(ctx, userId, before.avatar_file_id)
    await audit(ctx, {
      entity: 'user',
      entityId: userId,
      action: fileId ? 'avatar_changed' : 'avatar_removed',
      changes: { avatar_file_id: { from: before.avatar_file_id, to: fileId } },
    })
  }
  const dto = toUser(after, await avatarUrl(ctx, fileId))
  if (after !== before) {
    await publish(ctx, { type: 'user.updated', aggregate: 'user', aggregateId: userId, rooms: [rooms.user(userId)], payload: dto })
  }
  return dto
}

/**
 * Takes an uploaded avatar (from a route without a request transaction): the files module checks the
 * bytes are an image (415), at most 5 MB (413), and stores it as WebP within 512×512; then, in one
 * transaction, the user points at it and the previous avatar is removed.
 */
export async function uploadAvatar(ctx: Ctx, file: MultipartFile): Promise<User> {
  const userId = requireUser(ctx).userId
  const saved = await saveImage(ctx, file, {
    purpose: AVATAR_PURPOSE,
    maxBytes: AVATAR_MAX_BYTES,
    maxWidth: AVATAR_MAX_SIDE,
    maxHeight: AVATAR_MAX_SIDE,
  })
  const tenant = { orgId: ctx.orgId, userId }
  try {
    return await ctx.platform.db.tenant(tenant, (db) => replaceAvatar({ ...ctx, db }, saved.id))
  } catch (err) {
    // The stored image is not anyone's avatar now: remove it rather than leave it behind.
    await ctx.platform.db.tenant(tenant, (db) => deleteFile({ ...ctx, db }, saved.id)).catch(() => {})
    throw err
  }
}

export async function removeAvatar(ctx: Ctx): Promise<void> {
  await replaceAvatar(ctx, null)
}
