// Single-use tokens e-mailed to users (password reset, e-mail verification): random, stored only as a
// SHA-256 hash, expiring, and superseded by the next one of the same purpose.
import { randomToken, sha256 } from '../../../platform/auth/tokens.js'
import type { Executor } from '../../../platform/db/database.js'
import { insertUserToken, retireUserTokens } from '../queries-auth.js'
import type { UserTokenPurpose } from '../tables.js'

export const TOKEN_TTL_SECONDS: Record<UserTokenPurpose, number> = {
  password_reset: 60 * 60,
  email_verification: 48 * 60 * 60,
}

/** Minimum spacing between two tokens of one purpose for one user, so nobody can mail-bomb an inbox. */
export const RESEND_INTERVAL_SECONDS = 60

export async function issueUserToken(db: Executor, user: { id: string; email: string }, purpose: UserTokenPurpose): Promise<string> {
  await retireUserTokens(db, user.id, purpose)
  const token = randomToken(32)
  await insertUserToken(db, { token_hash: sha256(token), user_id: user.id, purpose, email: user.email }, TOKEN_TTL_SECONDS[purpose])
  return token
}
