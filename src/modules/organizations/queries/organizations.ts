// SQL for organizations (the business profile).
import { sql } from 'kysely'
import type { Executor } from '../../../platform/db/database.js'
import type { OrganizationsTable } from '../tables.js'
import '../tables.js'

export async function slugTaken(db: Executor, slug: string): Promise<boolean> {
  const { rows } = await sql<{ taken: boolean }>`SELECT luminous_slug_taken(${slug}) AS taken`.execute(db)
  return rows[0]?.taken ?? false
}

/**
 * Inserts the organization unless its slug is taken. A concurrent transaction holding the same slug
 * makes this wait for it and then yield `undefined` instead of aborting the caller's transaction.
 */
export function insertOrganizationIfSlugFree(db: Executor, row: { id: string; name: string; slug: string }) {
  return db
    .insertInto('organizations')
    .values(row)
    .onConflict((oc) => oc.column('slug').doNothing())
    .returningAll()
    .executeTakeFirst()
}

export function findOrganization(db: Executor, id: string) {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The organization row, locked until the transaction ends (serializes profile and logo changes). */
export function lockOrganization(db: Executor, id: string) {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export type OrganizationPatch = Partial<
  Pick<OrganizationsTable, 'name' | 'description' | 'address' | 'city' | 'state' | 'zip_code' | 'country'> & {
    currency: string
    timezone: string
    logo_file_id: string | null
  }
>

export function updateOrganization(db: Executor, id: string, patch: OrganizationPatch) {
  return db.updateTable('organizations').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}
