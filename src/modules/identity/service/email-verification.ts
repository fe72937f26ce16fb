// E-mail verification: a link is mailed at registration (and on request); following it confirms the
// address the token was sent to — not one the account changed to since.
import { sha256 } from '../../../platform/auth/tokens.js'
import type { Ctx, PublicCtx } from '../../../platform/context.js'
import type { Executor } from '../../../platform/db/database.js'
import { NotFoundError, RateLimitError, StateError, ValidationError } from '../../../platform/errors.js'
import { verificationMail } from '../mails.js'
import { consumeUserToken, lastTokenSentAt } from '../queries-auth.js'
import { findUserById, updateUser } from '../queries.js'
import type { UsersRow } from '../tables.js'
import { auditUserEvent } from './audit-user.js'
import { requireUser } from './sessions.js'
import { issueUserToken, RESEND_INTERVAL_SECONDS, TOKEN_TTL_SECONDS } from './user-tokens.js'

/** Issues a verification token and queues its e-mail, in the caller's transaction. */
export async function sendVerificationEmail(pctx: PublicCtx, db: Executor, user: Pick<UsersRow, 'id' | 'email' | 'first_name'>): Promise<void> {
  const token = await issueUserToken(db, user, 'email_verification')
  const url = `${pctx.platform.config.PUBLIC_URL}/verify-email?token=${encodeURIComponent(token)}`
  const mail = verificationMail(user.first_name, url, TOKEN_TTL_SECONDS.email_verification / 3600)
  await pctx.platform.mail.send(db, { to: user.email, ...mail, orgId: null })
}

const badToken = () => ValidationError.field('token', 'is invalid, expired or already used')

export async function verifyEmail(pctx: PublicCtx, token: string): Promise<{ email: string; emailVerified: true }> {
  // System work: the token is the only credential, so its user is found by the token's hash.
  return pctx.platform.db.system(async (db) => {
    const used = await consumeUserToken(db, sha256(token), 'email_verification')
    if (!used) throw badToken()
    const user = await findUserById(db, used.user_id)
    if (!user || user.email.toLowerCase() !== used.email.toLowerCase()) {
      throw ValidationError.field('token', 'was sent to an address this account no longer uses')
    }
    if (user.email_verified_at === null) {
      await updateUser(db, user.id, { email_verified_at: new Date() })
      await auditUserEvent(pctx, db, user, { entity: 'user', entityId: user.id, action: 'email_verified', changes: { email: user.email } })
    }
    return { email: user.email, emailVerified: true as const }
  })
}

export async function resendVerification(ctx: Ctx): Promise<{ message: string }> {
  const { userId } = requireUser(ctx)
  const user = await findUserById(ctx.db, userId)
  if (!user) throw new NotFoundError('User')
  if (user.email_verified_at !== null) throw new StateError('This e-mail address is already verified', 'already_verified')
  const last = await lastTokenSentAt(ctx.db, userId, 'email_verification')
  const wait = last ? RESEND_INTERVAL_SECONDS - (Date.now() - last.getTime()) / 1000 : 0
  if (wait > 0) throw new RateLimitError(wait, `A verification e-mail was just sent; ask again in ${Math.ceil(wait)} s`)
  await sendVerificationEmail(ctx, ctx.db, user)
  return { message: `A verification link is on its way to ${user.email}` }
}
