// SQL for API keys. The secret itself is never stored, only its SHA-256 hash.
import type { Executor } from '../../../platform/db/database.js'
import '../tables.js'

export function apiKeysQuery(db: Executor, orgId: string) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'prefix', 'permissions', 'created_by', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'])
    .where('org_id', '=', orgId)
}

export type ApiKeyRow = Awaited<ReturnType<ReturnType<typeof apiKeysQuery>['executeTakeFirstOrThrow']>>

export function findApiKey(db: Executor, orgId: string, id: string) {
  return apiKeysQuery(db, orgId).where('id', '=', id).executeTakeFirst()
}

export function insertApiKey(
  db: Executor,
  row: { org_id: string; name: string; prefix: string; key_hash: string; permissions: string[]; created_by: string | null; expires_at: Date | null },
) {
  return db
    .insertInto('api_keys')
    .values(row)
    .returning(['id', 'name', 'prefix', 'permissions', 'created_by', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'])
    .executeTakeFirstOrThrow()
}

/** Revokes the key if it is still active; returns it only when this call revoked it. */
export function revokeApiKey(db: Executor, orgId: string, id: string) {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
}
