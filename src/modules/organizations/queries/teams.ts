// SQL for teams and their members.
import type { Executor } from '../../../platform/db/database.js'
import '../tables.js'

/** Teams of the organization with their member count. */
export function teamsQuery(db: Executor, orgId: string) {
  return db
    .selectFrom('teams as t')
    .select((eb) => [
      't.id',
      't.name',
      't.description',
      't.created_at',
      't.updated_at',
      eb
        .selectFrom('team_members as tm')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('tm.team_id', '=', 't.id')
        .as('member_count'),
    ])
    .where('t.org_id', '=', orgId)
}

export type TeamRow = Awaited<ReturnType<ReturnType<typeof teamsQuery>['executeTakeFirstOrThrow']>>

export function findTeam(db: Executor, orgId: string, id: string) {
  return teamsQuery(db, orgId).where('t.id', '=', id).executeTakeFirst()
}

/** Locks the team row so concurrent membership sets of one team apply one after the other. */
export function lockTeam(db: Executor, orgId: string, id: string) {
  return db.selectFrom('teams').select('id').where('org_id', '=', orgId).where('id', '=', id).forUpdate().executeTakeFirst()
}

export function teamNameTaken(db: Executor, orgId: string, name: string, exceptId?: string) {
  let q = db.selectFrom('teams').select('id').where('org_id', '=', orgId).where('name', '=', name)
  if (exceptId) q = q.where('id', '<>', exceptId)
  return q.executeTakeFirst().then((r) => r !== undefined)
}

export function insertTeam(db: Executor, row: { org_id: string; name: string; description: string | null }) {
  return db.insertInto('teams').values(row).returning('id').executeTakeFirstOrThrow()
}

export function updateTeam(db: Executor, orgId: string, id: string, patch: { name?: string; description?: string | null }) {
  return db.updateTable('teams').set(patch).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}

export function deleteTeam(db: Executor, orgId: string, id: string) {
  return db.deleteFrom('teams').where('org_id', '=', orgId).where('id', '=', id).returning('id').executeTakeFirst()
}

export function teamMembers(db: Executor, orgId: string, teamId: string) {
  return db
    .selectFrom('team_members as tm')
    .innerJoin('memberships as m', (j) => j.onRef('m.org_id', '=', 'tm.org_id').onRef('m.user_id', '=', 'tm.user_id'))
    .innerJoin('users as u', 'u.id', 'tm.user_id')
    .select(['tm.user_id', 'tm.created_at', 'm.role', 'u.email', 'u.first_name', 'u.last_name'])
    .where('tm.org_id', '=', orgId)
    .where('tm.team_id', '=', teamId)
    .orderBy('u.first_name')
    .orderBy('u.last_name')
    .orderBy('tm.user_id')
    .execute()
}

export type TeamMemberRow = Awaited<ReturnType<typeof teamMembers>>[number]

/** Which of `userIds` are members of the organization. */
export async function existingMembers(db: Executor, orgId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set()
  const rows = await db.selectFrom('memberships').select('user_id').where('org_id', '=', orgId).where('user_id', 'in', userIds).execute()
  return new Set(rows.map((r) => r.user_id))
}

export async function addTeamMembers(db: Executor, orgId: string, teamId: string, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return []
  const rows = await db
    .insertInto('team_members')
    .values(userIds.map((user_id) => ({ org_id: orgId, team_id: teamId, user_id })))
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
    .returning('user_id')
    .execute()
  return rows.map((r) => r.user_id)
}

export async function removeTeamMembers(db: Executor, orgId: string, teamId: string, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return []
  const rows = await db
    .deleteFrom('team_members')
    .where('org_id', '=', orgId)
    .where('team_id', '=', teamId)
    .where('user_id', 'in', userIds)
    .returning('user_id')
    .execute()
  return rows.map((r) => r.user_id)
}

export async function teamMemberIds(db: Executor, orgId: string, teamId: string): Promise<string[]> {
  const rows = await db.selectFrom('team_members').select('user_id').where('org_id', '=', orgId).where('team_id', '=', teamId).execute()
  return rows.map((r) => r.user_id)
}
