// SQL for the signed-in user's account: two-factor secrets and recovery codes, profile changes and
// account erasure. The transaction's user (RLS `current_user_id()`) must be the user named here, or
// the work must run as system work (login).
import { sql } from 'kysely'
import type { Executor } from '../../platform/db/database.js'
import './tables-account.js'
import './tables.js'

export function findTwoFactor(db: Executor, userId: string) {
  return db.selectFrom('user_two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst()
}

/** Starts (or restarts) enrolment with a new secret; 2FA stays off until confirmed. */
export async function upsertPendingTwoFactor(db: Executor, userId: string, secretEncrypted: string): Promise<void> {
  await db
    .insertInto('user_two_factor')
    .values({ user_id: userId, secret_encrypted: secretEncrypted })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        secret_encrypted: secretEncrypted,
        enabled_at: null,
        last_used_step: null,
        failed_attempts: 0,
        last_failed_at: null,
      }),
    )
    .execute()
}

/**
 * Records `step` as the last TOTP step used, only if it is newer than the one stored: of two requests
 * racing with the same code, exactly one gets `true`.
 */
export async function claimTimeStep(db: Executor, userId: string, step: number): Promise<boolean> {
  const r = await db
    .updateTable('user_two_factor')
    .set({ last_used_step: step })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst()
  return r.numUpdatedRows === 1n
}

export async function markTwoFactorEnabled(db: Executor, userId: string): Promise<Date | null> {
  const row = await db
    .updateTable('user_two_factor')
    .set({ enabled_at: sql<Date>`now()`, failed_attempts: 0, last_failed_at: null })
    .where('user_id', '=', userId)
    .where('enabled_at', 'is', null)
    .returning('enabled_at')
    .executeTakeFirst()
  return row?.enabled_at ?? null
}

export async function recordTwoFactorFailure(db: Executor, userId: string): Promise<void> {
  await db
    .updateTable('user_two_factor')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1), last_failed_at: sql<Date>`now()` }))
    .where('user_id', '=', userId)
    .execute()
}

export async function resetTwoFactorFailures(db: Executor, userId: string): Promise<void> {
  await db
    .updateTable('user_two_factor')
    .set({ failed_attempts: 0, last_failed_at: null })
    .where('user_id', '=', userId)
    .where('failed_attempts', '>', 0)
    .execute()
}

export async function deleteTwoFactor(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute()
  await db.deleteFrom('user_two_factor').where('user_id', '=', userId).execute()
}

export async function replaceRecoveryCodes(db: Executor, userId: string, hashes: string[]): Promise<void> {
  await db.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute()
  await db
    .insertInto('user_recovery_codes')
    .values(hashes.map((code_hash) => ({ user_id: userId, code_hash })))
    .execute()
}

/** Marks an unused recovery code used; false when there is none with this hash. */
export async function consumeRecoveryCode(db: Executor, userId: string, codeHash: string): Promise<boolean> {
  const r = await db
    .updateTable('user_recovery_codes')
    .set({ used_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return r.numUpdatedRows === 1n
}

export async function countUnusedRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom('user_recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The user's row, locked until the transaction ends: changes of the avatar serialize on it. */
export function lockUser(db: Executor, userId: string) {
  return db.selectFrom('users').selectAll().where('id', '=', userId).where('deleted_at', 'is', null).forUpdate().executeTakeFirst()
}

/** Sets the organization of the rest of the current transaction (row-level security reads it per statement). */
export async function setTransactionOrg(db: Executor, orgId: string): Promise<void> {
  await sql`SELECT set_config('app.org_id', ${orgId}, true)`.execute(db)
}

/** Organizations whose only owner is the transaction's user (0016; locks their owner memberships). */
export async function soleOwnedOrganizations(db: Executor): Promise<{ id: string; name: string }[]> {
  const r = await sql<{ id: string; name: string }>`SELECT id, name FROM luminous_sole_owned_organizations()`.execute(db)
  return r.rows
}

/** Removes the transaction's user from every organization (0016); returns how many memberships went. */
export async function leaveAllOrganizations(db: Executor): Promise<number> {
  const r = await sql<{ n: number }>`SELECT luminous_leave_all_organizations() AS n`.execute(db)
  return r.rows[0]?.n ?? 0
}

/** Forgets the transaction's user's e-mailed tokens and failed-login counter (0017); before the e-mail changes. */
export async function eraseAuthState(db: Executor): Promise<void> {
  await sql`SELECT luminous_erase_auth_state()`.execute(db)
}
