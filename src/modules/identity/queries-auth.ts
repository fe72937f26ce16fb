// SQL for the pre-authentication state: failed-login throttles and e-mailed single-use tokens.
// Throttles are system work only; tokens are issued by the user's own transaction (or as system work
// for a password reset) and redeemed as system work, before anyone is signed in.
import { sql } from 'kysely'
import type { Executor } from '../../platform/db/database.js'
import type { UserTokenPurpose } from './tables.js'

// ---- login throttles

/** The throttle rows of `keys` (absent keys have no failures on record). */
export function throttleRows(db: Executor, keys: string[]) {
  return db.selectFrom('login_throttles').select(['key', 'failures', 'locked_until']).where('key', 'in', keys).execute()
}

/**
 * Counts one failure on `key` and returns the new count. A key whose last failure is older than
 * `resetAfterSeconds` starts again from one.
 */
export async function countFailure(db: Executor, key: string, now: Date, resetAfterSeconds: number): Promise<number> {
  const row = await db
    .insertInto('login_throttles')
    .values({ key, failures: 1, last_failure_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`CASE WHEN login_throttles.last_failure_at < ${now}::timestamptz - make_interval(secs => ${resetAfterSeconds})
          THEN 1 ELSE login_throttles.failures + 1 END`,
        last_failure_at: now,
      }),
    )
    .returning('failures')
    .executeTakeFirstOrThrow()
  return row.failures
}

export async function lockKey(db: Executor, key: string, until: Date): Promise<void> {
  await db.updateTable('login_throttles').set({ locked_until: until }).where('key', '=', key).execute()
}

export async function clearKey(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_throttles').where('key', '=', key).execute()
}

// ---- e-mailed tokens

export async function insertUserToken(
  db: Executor,
  row: { token_hash: string; user_id: string; purpose: UserTokenPurpose; email: string },
  ttlSeconds: number,
): Promise<void> {
  await db
    .insertInto('user_tokens')
    .values({ ...row, expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})` })
    .execute()
}

/** Uses a token once: marks it used and returns it, or nothing when it is unknown, used or expired. */
export function consumeUserToken(db: Executor, tokenHash: string, purpose: UserTokenPurpose) {
  return db
    .updateTable('user_tokens')
    .set({ used_at: sql<Date>`now()` })
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['user_id', 'email'])
    .executeTakeFirst()
}

/** Retires every outstanding token of a purpose for the user (a newer one, or the deed, supersedes them). */
export async function retireUserTokens(db: Executor, userId: string, purpose: UserTokenPurpose): Promise<void> {
  await db
    .updateTable('user_tokens')
    .set({ used_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute()
}

/** When the user was last sent a token of this purpose (to space out repeated sends). */
export async function lastTokenSentAt(db: Executor, userId: string, purpose: UserTokenPurpose): Promise<Date | null> {
  const row = await db
    .selectFrom('user_tokens')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .executeTakeFirst()
  return row?.at ?? null
}

/** A live token, without using it (to check a new password against its user before hashing). */
export function peekUserToken(db: Executor, tokenHash: string, purpose: UserTokenPurpose) {
  return db
    .selectFrom('user_tokens')
    .select(['user_id', 'email'])
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst()
}
