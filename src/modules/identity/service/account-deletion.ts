// Deleting one's own account erases the personal data and keeps an anonymous row, so that what the user
// did inside organizations (messages, orders, audit entries) still points at "Deleted user". All of it
// happens in the request's transaction: it is complete, or nothing changed.
import { audit } from '../../../platform/audit.js'
import { randomToken } from '../../../platform/auth/tokens.js'
import type { Ctx } from '../../../platform/context.js'
import { StateError, ValidationError } from '../../../platform/errors.js'
import { hashPassword, verifyPassword } from '../password.js'
import { deleteTwoFactor, eraseAuthState, leaveAllOrganizations, soleOwnedOrganizations } from '../queries-account.js'
import { revokeSessionsOfUser, updateUser } from '../queries.js'
import { removeAvatarFile } from './avatar.js'
import { assertNotLocked, recordFailure, throttleKeys } from './lockout.js'
import { loadSignedInUser } from './profile.js'
import { confirmSecondFactorIfEnabled } from './two-factor.js'

export const DELETED_USER_FIRST_NAME = 'Deleted'
export const DELETED_USER_LAST_NAME = 'user'

/** A unique address under the reserved `.invalid` top-level domain (RFC 2606): it can never receive mail. */
export const erasedEmail = (userId: string): string => `deleted-${userId}@erased.invalid`

export async function deleteAccount(ctx: Ctx, input: { password: string; code?: string }): Promise<void> {
  // Locked: an avatar upload or profile change racing with the erasure waits, then finds no user.
  const user = await loadSignedInUser(ctx, { lock: true })
  // The password is guessed at like a log-in, so it is throttled like one.
  const keys = throttleKeys(user.email, ctx.ip)
  await ctx.platform.db.system((sys) => assertNotLocked(sys, keys))
  if (!(await verifyPassword(user.password_hash, input.password))) {
    await ctx.platform.db.system((sys) => recordFailure(sys, keys))
    throw ValidationError.field('password', 'is incorrect')
  }
  await confirmSecondFactorIfEnabled(ctx, input.code)

  const soleOwned = await soleOwnedOrganizations(ctx.db)
  if (soleOwned.length > 0) {
    throw new StateError(
      `Transfer ownership of ${soleOwned.map((o) => `"${o.name}"`).join(', ')} to another member (or delete ${soleOwned.length > 1 ? 'them' : 'it'}) first`,
      'ownership_transfer_required',
      soleOwned.map((o) => ({ path: `organizations.${o.id}`, message: `${o.name} has no other owner` })),
    )
  }

  await removeAvatarFile(ctx, user)
  await deleteTwoFactor(ctx.db, user.id)
  // Before the e-mail is overwritten: the failed-login counter is keyed by it.
  await eraseAuthState(ctx.db)
  await updateUser(ctx.db, user.id, {
    first_name: DELETED_USER_FIRST_NAME,
    last_name: DELETED_USER_LAST_NAME,
    email: erasedEmail(user.id),
    email_verified_at: null,
    phone_number: null,
    avatar_file_id: null,
    settings: '{}',
    locale: 'en',
    timezone: 'UTC',
    last_org_id: null,
    // Nobody knows this password, and the e-mail it would pair with no longer exists.
    password_hash: await hashPassword(randomToken(32)),
    password_changed_at: new Date(),
    deleted_at: new Date(),
  })
  await revokeSessionsOfUser(ctx.db, user.id, 'account_deleted')
  const left = await leaveAllOrganizations(ctx.db)
  await audit(ctx, { entity: 'user', entityId: user.id, action: 'deleted', changes: { membershipsRemoved: left } })
}
