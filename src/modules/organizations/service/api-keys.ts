// API keys for integrations: scoped to this organization and to a set of permissions no larger than
// their creator's, shown once and stored hashed, revocable. The auth guard accepts them as X-API-Key.
import { audit } from '../../../platform/audit.js'
import { makeApiKey } from '../../../platform/auth/tokens.js'
import type { Ctx } from '../../../platform/context.js'
import { ForbiddenError, NotFoundError, ValidationError } from '../../../platform/errors.js'
import { list, type ListParams, type ListResult } from '../../../platform/http/lists.js'
import { apiKeyList } from './lists.js'
import { apiKeysQuery, findApiKey, insertApiKey, revokeApiKey, type ApiKeyRow } from '../queries/api-keys.js'
import type { ApiKeyCreate, ApiKeyDto, CreatedApiKeyDto } from '../schemas/api-keys.js'

export function toApiKeyDto(row: ApiKeyRow, now = new Date()): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    permissions: row.permissions as ApiKeyDto['permissions'],
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    status: row.revoked_at ? 'revoked' : row.expires_at && row.expires_at <= now ? 'expired' : 'active',
  }
}

export async function createApiKey(ctx: Ctx, input: ApiKeyCreate): Promise<CreatedApiKeyDto> {
  const name = input.name.trim()
  if (!name) throw ValidationError.field('name', 'must not be blank')
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw ValidationError.field('expiresAt', 'must be in the future')
  const lacking = input.permissions.filter((p) => !ctx.permissions.has(p))
  if (lacking.length) {
    throw new ForbiddenError(`A key cannot carry permissions you do not have: ${lacking.join(', ')}`, 'permission_not_held')
  }
  const { key, prefix, hash } = makeApiKey(ctx.orgId)
  const permissions = [...input.permissions].sort()
  const row = await insertApiKey(ctx.db, {
    org_id: ctx.orgId,
    name,
    prefix,
    key_hash: hash,
    permissions,
    created_by: ctx.userId,
    expires_at: expiresAt,
  })
  await audit(ctx, {
    entity: 'api_key',
    entityId: row.id,
    action: 'created',
    changes: { name, permissions, expiresAt: expiresAt?.toISOString() ?? null },
  })
  return { ...toApiKeyDto(row), key }
}

export function listApiKeys(ctx: Ctx, params: ListParams): Promise<ListResult<ApiKeyDto>> {
  const now = new Date()
  return list(ctx, apiKeysQuery(ctx.db, ctx.orgId), apiKeyList, params, (row) => toApiKeyDto(row, now))
}

export async function getApiKey(ctx: Ctx, id: string): Promise<ApiKeyDto> {
  const row = await findApiKey(ctx.db, ctx.orgId, id)
  if (!row) throw new NotFoundError('API key')
  return toApiKeyDto(row)
}

/** Revoking twice is not an error: the key stays revoked and the first revocation is what is audited. */
export async function revokeKey(ctx: Ctx, id: string): Promise<void> {
  const row = await findApiKey(ctx.db, ctx.orgId, id)
  if (!row) throw new NotFoundError('API key')
  if (await revokeApiKey(ctx.db, ctx.orgId, id)) {
    await audit(ctx, { entity: 'api_key', entityId: id, action: 'revoked', changes: { name: row.name } })
  }
}
