// Forgotten, reset and changed passwords. A reset or change ends the sessions that the old password
// opened (all of them for a reset, the others for a change) and tells the user by e-mail.
import { sha256 } from '../../../platform/auth/tokens.js'
import { audit } from '../../../platform/audit.js'
import type { Ctx, PublicCtx } from '../../../platform/context.js'
import type { Executor } from '../../../platform/db/database.js'
import { NotFoundError, ValidationError } from '../../../platform/errors.js'
import { passwordChangedMail, passwordResetMail } from '../mails.js'
import { assertPasswordPolicy, hashPassword, verifyPassword } from '../password.js'
import { consumeUserToken, lastTokenSentAt, peekUserToken, retireUserTokens } from '../queries-auth.js'
import { findUserByEmail, findUserById, revokeSessionsOfUser, updateUser } from '../queries.js'
import type { UsersRow } from '../tables.js'
import { auditUserEvent } from './audit-user.js'
import { assertNotLocked, clearAccountFailures, recordFailure, throttleKeys } from './lockout.js'
import { requireUser } from './sessions.js'
import { issueUserToken, RESEND_INTERVAL_SECONDS, TOKEN_TTL_SECONDS } from './user-tokens.js'
import { normalizeEmail } from './users.js'

export const FORGOT_PASSWORD_MESSAGE = 'If an account uses this e-mail address, a link to reset its password is on its way'

function assertConfirmed(newPassword: string, confirmPassword: string | undefined): void {
  if (confirmPassword !== undefined && confirmPassword !== newPassword) throw ValidationError.field('confirmPassword', 'must match newPassword')
}

async function notifyPasswordChanged(pctx: PublicCtx, db: Executor, user: Pick<UsersRow, 'email' | 'first_name'>): Promise<void> {
  await pctx.platform.mail.send(db, { to: user.email, ...passwordChangedMail(user.first_name), orgId: null })
}

/** Always the same answer, whether or not the e-mail has an account. */
export async function forgotPassword(pctx: PublicCtx, { email }: { email: string }): Promise<{ message: string }> {
  const address = normalizeEmail(email)
  await pctx.platform.db.system(async (db) => {
    const user = await findUserByEmail(db, address)
    if (!user) return
    // A second request within a minute sends nothing more: the first link is still good.
    const last = await lastTokenSentAt(db, user.id, 'password_reset')
    if (last && Date.now() - last.getTime() < RESEND_INTERVAL_SECONDS * 1000) return
    const token = await issueUserToken(db, user, 'password_reset')
    const url = `${pctx.platform.config.PUBLIC_URL}/reset-password?token=${encodeURIComponent(token)}`
    await pctx.platform.mail.send(db, { to: user.email, ...passwordResetMail(user.first_name, url, TOKEN_TTL_SECONDS.password_reset / 60), orgId: null })
  })
  return { message: FORGOT_PASSWORD_MESSAGE }
}

const badToken = () => ValidationError.field('token', 'is invalid, expired or already used')

export async function resetPassword(
  pctx: PublicCtx,
  input: { token: string; newPassword: string; confirmPassword?: string },
): Promise<{ message: string }> {
  assertConfirmed(input.newPassword, input.confirmPassword)
  const tokenHash = sha256(input.token)
  const { db } = pctx.platform
  // Check the new password against the token's account first, and hash it outside any transaction.
  const pending = await db.system((sys) => peekUserToken(sys, tokenHash, 'password_reset'))
  if (!pending) throw badToken()
  assertPasswordPolicy(input.newPassword, { email: pending.email, path: 'newPassword' })
  const passwordHash = await hashPassword(input.newPassword)

  await db.system(async (sys) => {
    const used = await consumeUserToken(sys, tokenHash, 'password_reset')
    if (!used) throw badToken()
    const user = await updateUser(sys, used.user_id, { password_hash: passwordHash, password_changed_at: new Date() })
    if (!user || user.deleted_at !== null) throw badToken()
    await retireUserTokens(sys, user.id, 'password_reset')
    const revoked = await revokeSessionsOfUser(sys, user.id, 'password_reset')
    // Whoever holds the mailbox has proved it: the account's failed-login count no longer matters.
    await clearAccountFailures(sys, throttleKeys(user.email, pctx.ip))
    await auditUserEvent(pctx, sys, user, { entity: 'user', entityId: user.id, action: 'password_reset', changes: { revokedSessions: revoked } })
    await notifyPasswordChanged(pctx, sys, user)
  })
  return { message: 'Your password was reset; sign in with the new one' }
}

export async function changePassword(
  ctx: Ctx,
  input: { currentPassword: string; newPassword: string; confirmPassword?: string },
): Promise<{ message: string; revokedSessions: number }> {
  const { userId, sessionId } = requireUser(ctx)
  assertConfirmed(input.newPassword, input.confirmPassword)
  const user = await findUserById(ctx.db, userId)
  if (!user) throw new NotFoundError('User')

  // The current password is guessed at like a log-in, so it is throttled like one.
  const keys = throttleKeys(user.email, ctx.ip)
  await ctx.platform.db.system((sys) => assertNotLocked(sys, keys))
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
    await ctx.platform.db.system((sys) => recordFailure(sys, keys))
    throw ValidationError.field('currentPassword', 'is incorrect')
  }
  assertPasswordPolicy(input.newPassword, { email: user.email, path: 'newPassword' })
  if (input.newPassword === input.currentPassword) throw ValidationError.field('newPassword', 'must differ from the current password')

  await updateUser(ctx.db, userId, { password_hash: await hashPassword(input.newPassword), password_changed_at: new Date() })
  const revokedSessions = await revokeSessionsOfUser(ctx.db, userId, 'password_changed', sessionId)
  await audit(ctx, { entity: 'user', entityId: userId, action: 'password_changed', changes: { revokedSessions } })
  await notifyPasswordChanged(ctx, ctx.db, user)
  return { message: 'Your password was changed; your other sessions were signed out', revokedSessions }
}
