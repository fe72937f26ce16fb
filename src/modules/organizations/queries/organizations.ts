// SQL for organizations and memberships.
import { sql } from 'kysely'
import type { Role } from '../../platform/auth/permissions.js'
import type { Executor } from '../../platform/db/database.js'
import './tables.js'

export async function slugTaken(db: Executor, slug: string): Promise<boolean> {
  const { rows } = await sql<{ taken: boolean }>`SELECT luminous_slug_taken(${slug}) AS taken`.execute(db)
  return rows[0]?.taken ?? false
}

export function insertOrganization(db: Executor, row: { id: string; name: string; slug: string }) {
  return db.insertInto('organizations').values(row).returningAll().executeTakeFirstOrThrow()
}

export function insertMembership(db: Executor, row: { org_id: string; user_id: string; role: Role }) {
  return db.insertInto('memberships').values(row).returningAll().executeTakeFirstOrThrow()
}

export function findMembership(db: Executor, orgId: string, userId: string) {
  return db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst()
}

/** The organizations a user belongs to (visible through the own-memberships policy), oldest first. */
export function membershipsOfUser(db: Executor, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['m.org_id', 'm.role', 'm.created_at', 'o.name', 'o.slug'])
    .where('m.user_id', '=', userId)
    .orderBy('m.created_at')
    .execute()
}
