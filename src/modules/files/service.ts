// Reading and removing files. Downloads are only ever short-lived signed URLs; removal marks the row
// deleted and leaves the storage object to the files.purge job (retried if storage is down).
import { audit } from '../../platform/audit.js'
import { can } from '../../platform/auth/permissions.js'
import type { Ctx } from '../../platform/context.js'
import { ForbiddenError, NotFoundError, StateError } from '../../platform/errors.js'
import { findFile, markDeleted } from './queries.js'
import { toFile, type FileWithUrl } from './schemas.js'
import type { FileRow } from './tables.js'

export const PURGE_TASK = 'files.purge'
/** Purposes managed by their own routes (the user's avatar, the organization's logo). */
export const RESERVED_PURPOSES: ReadonlySet<string> = new Set(['avatar', 'logo'])

// Images, audio, video and PDFs display in the browser; anything else downloads.
const INLINE = /^(image\/|audio\/|video\/|application\/pdf$|text\/plain$)/

export async function getFileRow(ctx: Ctx, id: string): Promise<FileRow> {
  const row = await findFile(ctx.db, id)
  if (!row) throw new NotFoundError('File')
  return row
}

/**
 * A signed URL to download the file, valid for `ttlSeconds` (default FILE_URL_TTL). Takes the row
 * when the caller has it (no query), else looks the id up in `ctx.db`.
 */
export async function fileUrl(ctx: Ctx, file: string | FileRow, ttlSeconds?: number): Promise<string> {
  const row = typeof file === 'string' ? await getFileRow(ctx, file) : file
  return ctx.platform.storage.signedUrl(row.storage_key, {
    ttlSeconds: ttlSeconds ?? ctx.platform.config.FILE_URL_TTL,
    fileName: row.name,
    contentType: row.content_type,
    download: !INLINE.test(row.content_type),
  })
}

/** A fresh signed URL for an optional file reference (avatar, logo); null when unset or the file is gone. */
export async function optionalFileUrl(ctx: Ctx, fileId: string | null): Promise<string | null> {
  if (!fileId) return null
  try {
    return await fileUrl(ctx, fileId)
  } catch (err) {
    if (err instanceof NotFoundError) return null
    throw err
  }
}

/** The file's metadata with a fresh signed URL. */
export async function withUrl(ctx: Ctx, row: FileRow): Promise<FileWithUrl> {
  const ttl = ctx.platform.config.FILE_URL_TTL
  const url = await fileUrl(ctx, row, ttl)
  return { ...toFile(row), url, urlExpiresAt: new Date(Date.now() + ttl * 1000).toISOString() }
}

export async function getFile(ctx: Ctx, id: string): Promise<FileWithUrl> {
  return withUrl(ctx, await getFileRow(ctx, id))
}

/**
 * Deletes a file (for modules that manage their own files: avatar, logo, attachments). The caller
 * has decided it may; the row is marked deleted in `ctx.db` and the bytes are removed by a job after
 * commit. NotFoundError when the file is absent or not this organization's.
 */
export async function deleteFile(ctx: Ctx, id: string): Promise<void> {
  const row = await markDeleted(ctx.db, id)
  if (!row) throw new NotFoundError('File')
  await ctx.platform.jobs.enqueue(ctx.db, PURGE_TASK, { key: row.storage_key }, { jobKey: `${PURGE_TASK}:${row.id}` })
  await audit(ctx, { entity: 'file', entityId: row.id, action: 'deleted', changes: { name: row.name, purpose: row.purpose } })
}

/**
 * DELETE /files/:id: one's own files with files:write, anyone's with files:manage. Avatars and logos
 * belong to their own routes, which also clear the reference to them.
 */
export async function removeFile(ctx: Ctx, id: string): Promise<void> {
  const row = await getFileRow(ctx, id)
  // Another organization's member's avatar is visible here, but it is not this organization's to delete.
  if (row.org_id !== ctx.orgId) throw new NotFoundError('File')
  if (RESERVED_PURPOSES.has(row.purpose)) {
    throw new StateError(`This file is ${row.purpose === 'avatar' ? "a user's avatar" : "the organization's logo"}; remove it there`, 'file_in_use')
  }
  const own = ctx.userId !== null && row.owner_id === ctx.userId
  if (!own && !can(ctx.permissions, 'files:manage')) throw new ForbiddenError('You may delete only the files you uploaded')
  await deleteFile(ctx, id)
}
