// Registration, log-in, the signed-in user (`me`) and switching organization.
import type { Role } from '../../../platform/auth/permissions.js'
import { audit } from '../../../platform/audit.js'
import type { Ctx, PublicCtx } from '../../../platform/context.js'
import { NotFoundError, StateError, UnauthenticatedError, ValidationError, type ErrorDetail } from '../../../platform/errors.js'
import { newId } from '../../../platform/ids.js'
import { createOrganization } from '../../organizations/index.js'
import { burnPasswordCheck, passwordProblems, verifyPassword } from '../password.js'
import { normalizePhone } from '../phone.js'
import { findUserByEmail, landingMembership, membershipIn, updateUser, userWithOrganization, type MembershipView } from '../queries.js'
import { toUser, type AuthTokens, type LoginInput, type OrganizationSummary, type RegisterInput, type User } from '../schemas.js'
import type { UsersRow } from '../tables.js'
import { actingCtx } from './acting.js'
import { sendVerificationEmail } from './email-verification.js'
import { assertNotLocked, clearAccountFailures, recordFailure, throttleKeys } from './lockout.js'
import { moveSession, requireUser, startSession } from './sessions.js'
import { checkSecondFactor } from './two-factor.js'
import { createUser, normalizeEmail } from './users.js'

export interface AuthResult {
  user: User
  organization: OrganizationSummary
  role: Role
  tokens: AuthTokens
  accessToken: string
  refreshToken: string
}

const authResult = (user: UsersRow, m: MembershipView, tokens: AuthTokens): AuthResult => ({
  user: toUser(user),
  organization: { id: m.org_id, name: m.name, slug: m.slug },
  role: m.role,
  tokens,
  accessToken: tokens.accessToken,
  refreshToken: tokens.refreshToken,
})

function blank(value: string, path: string, details: ErrorDetail[]): string {
  const trimmed = value.trim()
  if (!trimmed) details.push({ path, message: 'must not be blank' })
  return trimmed
}

/** Sign-up: the user, their organization (named after the business) and a session, in one transaction. */
export async function register(pctx: PublicCtx, input: RegisterInput): Promise<AuthResult> {
  const details: ErrorDetail[] = []
  const firstName = blank(input.firstName, 'firstName', details)
  const lastName = blank(input.lastName, 'lastName', details)
  const businessName = blank(input.businessName, 'businessName', details)
  const email = normalizeEmail(input.email)
  let phoneNumber: string | null = null
  try {
    phoneNumber = normalizePhone(input.phoneNumber)
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    details.push(...(err.details ?? []))
  }
  for (const message of passwordProblems(input.password, { email })) details.push({ path: 'password', message })
  if (input.confirmPassword !== input.password) details.push({ path: 'confirmPassword', message: 'must match password' })
  if (details.length > 0) throw new ValidationError('Registration has invalid fields', details)

  const userId = newId()
  const orgId = newId()
  return pctx.platform.db.tenant({ orgId, userId }, async (db) => {
    const user = await createUser(db, { id: userId, email, password: input.password, firstName, lastName, phoneNumber })
    const org = await createOrganization(db, { id: orgId, name: businessName, ownerUserId: userId })
    const tokens = await startSession(pctx, db, { userId, orgId })
    const ctx = actingCtx(pctx, db, { orgId, userId, role: 'owner' })
    await audit(ctx, { entity: 'user', entityId: userId, action: 'registered', changes: { email, firstName, lastName, phoneNumber } })
    await sendVerificationEmail(ctx, db, user)
    return authResult(user, { org_id: org.id, role: 'owner', name: org.name, slug: org.slug }, tokens)
  })
}

const invalidCredentials = () => new UnauthenticatedError('E-mail or password is incorrect', 'invalid_credentials')

/**
 * Log-in. The answer for an unknown e-mail and for a wrong password is the same, and takes about the
 * same time (a dummy hash is verified); failures are throttled per account and per IP.
 */
export async function login(pctx: PublicCtx, input: LoginInput): Promise<AuthResult> {
  const { db } = pctx.platform
  const email = normalizeEmail(input.email)
  const keys = throttleKeys(email, pctx.ip)

  // 1. Refuse while locked; find the account and where it lands (system work: nobody is signed in yet).
  const { account, accountFailures } = await db.system(async (sys) => {
    const { accountFailures } = await assertNotLocked(sys, keys)
    const user = await findUserByEmail(sys, email)
    return { accountFailures, account: user ? { user, membership: await landingMembership(sys, user.id, user.last_org_id) } : null }
  })

  // 2. The password.
  const passwordOk = account ? await verifyPassword(account.user.password_hash, input.password) : await burnPasswordCheck(input.password).then(() => false)
  if (!account || !passwordOk) {
    await db.system((sys) => recordFailure(sys, keys))
    throw invalidCredentials()
  }

  // 3. The second factor, when the account has one. Its own transaction: a recovery code stays used.
  const second = await db.system((sys) => checkSecondFactor(pctx, sys, account.user.id, input.code))
  if (second === 'required') throw new UnauthenticatedError('Enter the code from your authenticator app', 'two_factor_required')
  if (second === 'invalid') {
    await db.system((sys) => recordFailure(sys, keys))
    throw new UnauthenticatedError('The two-factor code is wrong, expired or was already used', 'invalid_two_factor_code')
  }

  // 4. Signed in: forget past failures, open a session in the landing organization.
  if (accountFailures > 0) await db.system((sys) => clearAccountFailures(sys, keys))
  const { user, membership } = account
  if (!membership) throw new StateError('This account is not a member of any organization', 'no_organization')
  return db.tenant({ orgId: membership.org_id, userId: user.id }, async (tx) => {
    const tokens = await startSession(pctx, tx, { userId: user.id, orgId: membership.org_id })
    await audit(actingCtx(pctx, tx, { orgId: membership.org_id, userId: user.id, role: membership.role }), {
      entity: 'user',
      entityId: user.id,
      action: 'signed_in',
    })
    return authResult(user, membership, tokens)
  })
}

/** The signed-in user, the active organization, the role there and its permissions: one query. */
export async function me(ctx: Ctx) {
  const { userId } = requireUser(ctx)
  const row = await userWithOrganization(ctx.db, userId, ctx.orgId)
  if (!row || row.deleted_at !== null) throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
  return {
    user: toUser(row),
    organization: { id: row.org_id, name: row.org_name, slug: row.org_slug },
    role: ctx.role as Role,
    permissions: [...ctx.permissions].sort(),
  }
}

/** New tokens for another organization the user belongs to (404 for any other). */
export async function switchOrganization(ctx: Ctx, { organizationId }: { organizationId: string }): Promise<AuthResult> {
  const { userId } = requireUser(ctx)
  const membership = await membershipIn(ctx.db, userId, organizationId)
  if (!membership) throw new NotFoundError('Organization')
  const tokens = await moveSession(ctx, organizationId)
  const user = await updateUser(ctx.db, userId, { last_org_id: organizationId })
  if (!user) throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
  return authResult(user, membership, tokens)
}
