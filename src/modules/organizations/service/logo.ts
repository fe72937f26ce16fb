// The organization's logo (seed 002): any common image, checked from its bytes and stored through the
// files module as WebP within 1024×1024; the previous logo is removed when it is replaced or deleted.
import type { MultipartFile } from '@fastify/multipart'
import { audit } from '../../../platform/audit.js'
import type { Ctx } from '../../../platform/context.js'
import { NotFoundError } from '../../../platform/errors.js'
import { publish, rooms } from '../../../platform/events/outbox.js'
import { deleteFile, saveImage } from '../../files/index.js'
import { lockOrganization, updateOrganization } from '../queries/organizations.js'
import type { OrganizationDto } from '../schemas/organization.js'
import { toOrganizationDto } from './organization-dto.js'

export const LOGO_PURPOSE = 'logo'
export const LOGO_MAX_BYTES = 5 * 1024 * 1024
export const LOGO_MAX_SIDE = 1024

async function deleteLogoFile(ctx: Ctx, fileId: string): Promise<void> {
  try {
    await deleteFile(ctx, fileId)
  } catch (err) {
    // Already gone (removed through another path): nothing left to clean up.
    if (!(err instanceof NotFoundError)) throw err
  }
}

/** Points the organization at `fileId` (or none) and removes the logo it replaces. */
async function replaceLogo(ctx: Ctx, fileId: string | null): Promise<OrganizationDto> {
  // Locked, so that two uploads at once each remove the logo the other replaced.
  const before = await lockOrganization(ctx.db, ctx.orgId)
  if (!before) throw new NotFoundError('Organization')
  if (before.logo_file_id === fileId) return toOrganizationDto(ctx, before)
  const after = await updateOrganization(ctx.db, ctx.orgId, { logo_file_id: fileId })
  if (before.logo_file_id) await deleteLogoFile(ctx, before.logo_file_id)
  await audit(ctx, {
    entity: 'organization',
    entityId: ctx.orgId,
    action: fileId ? 'logo_changed' : 'logo_removed',
    changes: { logoFileId: { from: before.logo_file_id, to: fileId } },
  })
  const dto = await toOrganizationDto(ctx, after)
  await publish(ctx, { type: 'organization.updated', aggregate: 'organization', aggregateId: ctx.orgId, rooms: [rooms.org(ctx.orgId)], payload: dto })
  return dto
}

/**
 * Takes an uploaded logo from a route without a request transaction: the files module checks it is an
 * image by its bytes (415), at most 5 MB (413), and stores it as WebP; then, in one transaction, the
 * organization points at it and the previous logo is removed.
 */
export async function uploadLogo(ctx: Ctx, file: MultipartFile): Promise<OrganizationDto> {
  const saved = await saveImage(ctx, file, { purpose: LOGO_PURPOSE, maxBytes: LOGO_MAX_BYTES, maxWidth: LOGO_MAX_SIDE, maxHeight: LOGO_MAX_SIDE })
  const tenant = { orgId: ctx.orgId, userId: ctx.userId }
  try {
    return await ctx.platform.db.tenant(tenant, (db) => replaceLogo({ ...ctx, db }, saved.id))
  } catch (err) {
    // The stored image is nobody's logo now: remove it rather than leave it behind.
    await ctx.platform.db.tenant(tenant, (db) => deleteFile({ ...ctx, db }, saved.id)).catch(() => {})
    throw err
  }
}

export const removeLogo = (ctx: Ctx): Promise<OrganizationDto> => replaceLogo(ctx, null)
