// SQL for invitations. Tokens are stored as SHA-256 hashes only.
import { sql } from 'kysely'
import type { Role } from '../../../platform/auth/permissions.js'
import type { Executor } from '../../../platform/db/database.js'
import '../tables.js'

const COLUMNS = [
  'i.id',
  'i.email',
  'i.role',
  'i.invited_by',
  'i.expires_at',
  'i.sent_at',
  'i.accepted_at',
  'i.accepted_by',
  'i.revoked_at',
  'i.created_at',
  'i.updated_at',
] as const

/** Invitations of the organization with a `status` column computed from the timestamps. */
export function invitationsQuery(db: Executor, orgId: string) {
  return db
    .selectFrom('invitations as i')
    .select(COLUMNS)
    .select(
      sql<InvitationStatus>`CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted' WHEN i.revoked_at IS NOT NULL THEN 'revoked'
        WHEN i.expires_at <= now() THEN 'expired' ELSE 'pending' END`.as('status'),
    )
    .where('i.org_id', '=', orgId)
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired'
export type InvitationRow = Awaited<ReturnType<ReturnType<typeof invitationsQuery>['executeTakeFirstOrThrow']>>

/** The same rows as a derived table `x`, so that lists can filter and sort on `status`. */
export function invitationsListQuery(db: Executor, orgId: string) {
  return db.selectFrom(invitationsQuery(db, orgId).as('x')).selectAll('x')
}

export function findInvitation(db: Executor, orgId: string, id: string) {
  return invitationsQuery(db, orgId).where('i.id', '=', id).executeTakeFirst()
}

export function lockInvitation(db: Executor, orgId: string, id: string) {
  return invitationsQuery(db, orgId).where('i.id', '=', id).forUpdate().executeTakeFirst()
}

/**
 * Creates the open invitation for this address, or refreshes the open one (new token, role, expiry,
 * inviter). `inserted` tells which happened.
 */
export function upsertOpenInvitation(
  db: Executor,
  row: { org_id: string; email: string; role: Role; token_hash: string; invited_by: string | null; expires_at: Date },
) {
  return db
    .insertInto('invitations')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['org_id', 'email'])
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .doUpdateSet((eb) => ({
          role: eb.ref('excluded.role'),
          token_hash: eb.ref('excluded.token_hash'),
          invited_by: eb.ref('excluded.invited_by'),
          expires_at: eb.ref('excluded.expires_at'),
          sent_at: sql<Date>`now()`,
        })),
    )
    .returning(['id', sql<boolean>`(xmax = 0)`.as('inserted')])
    .executeTakeFirstOrThrow()
}

export function renewInvitation(db: Executor, orgId: string, id: string, tokenHash: string, expiresAt: Date) {
  return db
    .updateTable('invitations')
    .set({ token_hash: tokenHash, expires_at: expiresAt, sent_at: sql<Date>`now()` })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .execute()
}

export function markRevoked(db: Executor, orgId: string, id: string) {
  return db
    .updateTable('invitations')
    .set({ revoked_at: sql<Date>`now()` })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute()
}

/**
 * Marks the invitation accepted if it is still open and unexpired. Conditional, so that one token
 * accepted twice at once succeeds only once.
 */
export async function markAccepted(db: Executor, orgId: string, id: string, userId: string): Promise<boolean> {
  const row = await db
    .updateTable('invitations')
    .set({ accepted_at: sql<Date>`now()`, accepted_by: userId })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/**
 * System look-up by token (before anyone is signed in): the invitation with its organization, its
 * inviter's name and whether an account exists for the invited address.
 */
export function findByTokenHash(db: Executor, tokenHash: string) {
  return db
    .selectFrom('invitations as i')
    .innerJoin('organizations as o', 'o.id', 'i.org_id')
    .leftJoin('users as inviter', 'inviter.id', 'i.invited_by')
    .select(COLUMNS)
    .select([
      'i.org_id',
      'o.name as org_name',
      'o.slug as org_slug',
      'inviter.first_name as inviter_first_name',
      'inviter.last_name as inviter_last_name',
    ])
    .select((eb) =>
      eb
        .selectFrom('users as u')
        .select('u.id')
        .whereRef('u.email', '=', 'i.email')
        .where('u.deleted_at', 'is', null)
        .as('existing_user_id'),
    )
    .where('i.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

export type TokenLookupRow = NonNullable<Awaited<ReturnType<typeof findByTokenHash>>>

/** Whether the address already belongs to a member of the organization. */
export async function isMemberEmail(db: Executor, orgId: string, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('m.user_id')
    .where('m.org_id', '=', orgId)
    .where('u.email', '=', email)
    .where('u.deleted_at', 'is', null)
    .executeTakeFirst()
  return row !== undefined
}

// Identity look-ups the accept flow needs before there is a request context. Identity's index does not
// export them (yet), so they are written here against its tables.

/** The user row, visible when the transaction carries that user. */
export function userRow(db: Executor, userId: string) {
  return db.selectFrom('users').selectAll().where('id', '=', userId).where('deleted_at', 'is', null).executeTakeFirst()
}

/** Whether the session behind a Bearer token is still live (not revoked, not expired). */
export async function sessionIsLive(db: Executor, sessionId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst()
  return row !== undefined
}
