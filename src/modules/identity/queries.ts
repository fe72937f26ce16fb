// SQL for users, sessions (refresh-token families) and the user's memberships as identity needs them.
import { sql, type Insertable, type Updateable } from 'kysely'
import type { Role } from '../../platform/auth/permissions.js'
import type { Executor } from '../../platform/db/database.js'
import '../organizations/tables.js'
import type { SessionsTable, UsersTable } from './tables.js'

// ---- users

export function insertUser(db: Executor, row: Insertable<UsersTable>) {
  return db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Look-up for log-in and password reset; runs as system work (no user is known yet). */
export function findUserByEmail(db: Executor, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).where('deleted_at', 'is', null).executeTakeFirst()
}

export function findUserById(db: Executor, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst()
}

export function updateUser(db: Executor, id: string, patch: Updateable<UsersTable>) {
  return db.updateTable('users').set(patch).where('id', '=', id).returningAll().executeTakeFirst()
}

// ---- memberships seen from the user

export interface MembershipView {
  org_id: string
  role: Role
  name: string
  slug: string
}

/** The organization a log-in lands in: the one used last if still a member, else the oldest membership. */
export function landingMembership(db: Executor, userId: string, lastOrgId: string | null): Promise<MembershipView | undefined> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['m.org_id', 'm.role', 'o.name', 'o.slug'])
    .where('m.user_id', '=', userId)
    .orderBy(sql`m.org_id = ${lastOrgId}`, (ob) => ob.desc().nullsLast())
    .orderBy('m.created_at')
    .limit(1)
    .executeTakeFirst()
}

export function membershipIn(db: Executor, userId: string, orgId: string): Promise<MembershipView | undefined> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['m.org_id', 'm.role', 'o.name', 'o.slug'])
    .where('m.user_id', '=', userId)
    .where('m.org_id', '=', orgId)
    .executeTakeFirst()
}

/** The signed-in user with the active organization, in one query (the hot path of GET /auth/me). */
export function userWithOrganization(db: Executor, userId: string, orgId: string) {
  return db
    .selectFrom('users as u')
    .innerJoin('organizations as o', (j) => j.on('o.id', '=', orgId))
    .selectAll('u')
    .select(['o.id as org_id', 'o.name as org_name', 'o.slug as org_slug'])
    .where('u.id', '=', userId)
    .executeTakeFirst()
}

// ---- sessions and refresh tokens

export function insertSession(db: Executor, row: Insertable<SessionsTable>) {
  return db.insertInto('sessions').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function insertRefreshToken(db: Executor, sessionId: string, tokenHash: string): Promise<void> {
  await db.insertInto('refresh_tokens').values({ token_hash: tokenHash, session_id: sessionId }).execute()
}

/** The refresh token and its session, locked so that two concurrent uses of one token serialize. */
export function lockRefreshToken(db: Executor, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens as t')
    .innerJoin('sessions as s', 's.id', 't.session_id')
    .select(['t.token_hash', 't.used_at', 's.id as session_id', 's.user_id', 's.org_id', 's.expires_at', 's.revoked_at'])
    .where('t.token_hash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst()
}

/** Marks every unused token of the session used: after a rotation only the newest token is live. */
export async function retireRefreshTokens(db: Executor, sessionId: string, at: Date): Promise<void> {
  await db.updateTable('refresh_tokens').set({ used_at: at }).where('session_id', '=', sessionId).where('used_at', 'is', null).execute()
}

export async function touchSession(
  db: Executor,
  id: string,
  patch: { ip: string | null; user_agent: string | null; expires_at: Date; org_id?: string },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ ...patch, last_used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute()
}

/** Revokes a live session (only if it is `userId`'s, when given); false when there was none. */
export async function revokeSession(db: Executor, id: string, reason: string, userId?: string): Promise<boolean> {
  let q = db
    .updateTable('sessions')
    .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
  if (userId) q = q.where('user_id', '=', userId)
  const r = await q.executeTakeFirst()
  return r.numUpdatedRows > 0n
}

/** Revokes the user's live sessions, optionally all but one; returns how many were revoked. */
export async function revokeSessionsOfUser(db: Executor, userId: string, reason: string, exceptId?: string | null): Promise<number> {
  let q = db
    .updateTable('sessions')
    .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
  if (exceptId) q = q.where('id', '!=', exceptId)
  const r = await q.executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** Live sessions of a user, newest first (ids are UUIDv7, so id order is creation order). */
export function listLiveSessions(db: Executor, userId: string, opts: { limit: number; before?: string }) {
  let q = db
    .selectFrom('sessions')
    .select(['id', 'org_id', 'user_agent', 'ip', 'created_at', 'last_used_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
  if (opts.before) q = q.where('id', '<', opts.before)
  return q.orderBy('id', 'desc').limit(opts.limit).execute()
}
