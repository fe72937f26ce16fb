// SQL for memberships: who belongs to which organization, with which role.
import type { Role } from '../../../platform/auth/permissions.js'
import type { Executor } from '../../../platform/db/database.js'
import '../tables.js'

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
    .orderBy('m.org_id')
    .execute()
}

/** The user's memberships in every organization, with the organization's name (own-memberships policy). */
export function myMembershipsQuery(db: Executor, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['m.org_id', 'm.role', 'm.created_at', 'o.name', 'o.slug'])
    .where('m.user_id', '=', userId)
}

/** Members of the current organization joined with their user record. */
export function membersQuery(db: Executor, orgId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'm.user_id',
      'm.role',
      'm.created_at',
      'm.updated_at',
      'u.email',
      'u.first_name',
      'u.last_name',
      'u.avatar_file_id',
    ])
    .where('m.org_id', '=', orgId)
}

export type MemberRow = Awaited<ReturnType<ReturnType<typeof membersQuery>['executeTakeFirstOrThrow']>>

export function findMember(db: Executor, orgId: string, userId: string) {
  return membersQuery(db, orgId).where('m.user_id', '=', userId).executeTakeFirst()
}

/**
 * The owners of the organization, locked until the transaction ends. Every change that could remove an
 * owner takes this lock first, so two owners demoting each other at once cannot leave none.
 */
export async function lockOwners(db: Executor, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('org_id', '=', orgId)
    .where('role', '=', 'owner')
    .forUpdate()
    .execute()
  return rows.map((r) => r.user_id)
}

export function updateMembershipRole(db: Executor, orgId: string, userId: string, role: Role) {
  return db
    .updateTable('memberships')
    .set({ role })
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst()
}

export function deleteMembership(db: Executor, orgId: string, userId: string) {
  return db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).returningAll().executeTakeFirst()
}
