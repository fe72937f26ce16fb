// The invitee's side, before they belong to the organization: look an invitation up by its token and
// accept it. A new address gets an account (password policy applies; the e-mail counts as verified,
// since the token reached it). An existing account must be signed in (Bearer) as the invited address.
// Either way the membership is created and tokens for the inviting organization are returned.
import { permissionsOf, type Role } from '../../../platform/auth/permissions.js'
import { audit } from '../../../platform/audit.js'
import { sha256 } from '../../../platform/auth/tokens.js'
import type { Ctx, PublicCtx } from '../../../platform/context.js'
import type { Executor } from '../../../platform/db/database.js'
import { ConflictError, ForbiddenError, NotFoundError, StateError, UnauthenticatedError, ValidationError } from '../../../platform/errors.js'
import { publish, rooms } from '../../../platform/events/outbox.js'
import type { Principal } from '../../../platform/http/guard.js'
import { newId } from '../../../platform/ids.js'
import { createUser, startSession, toUser } from '../../identity/index.js'
import { findByTokenHash, findInvitation, markAccepted, sessionIsLive, userRow, type TokenLookupRow } from '../queries/invitations.js'
import { findMember, findMembership, insertMembership } from '../queries/members.js'
import type { AcceptResultDto } from '../schemas/invitations.js'
import type { InvitationAccept, InvitationLookupDto } from '../schemas/invitations.js'
import { toMemberDto } from './members.js'

function refuseUnusable(status: { accepted_at: Date | null; revoked_at: Date | null; expires_at: Date }): void {
  if (status.accepted_at) throw new StateError('This invitation has already been used', 'invitation_already_accepted')
  if (status.revoked_at) throw new StateError('This invitation was revoked', 'invitation_revoked')
  if (status.expires_at.getTime() <= Date.now()) {
    throw new StateError('This invitation has expired; ask for a new one', 'invitation_expired')
  }
}

async function findUsable(pctx: PublicCtx, token: string): Promise<TokenLookupRow> {
  const row = await pctx.platform.db.system((db) => findByTokenHash(db, sha256(token)))
  if (!row) throw new NotFoundError('Invitation')
  refuseUnusable(row)
  return row
}

export async function lookupInvitation(pctx: PublicCtx, token: string): Promise<InvitationLookupDto> {
  const row = await findUsable(pctx, token)
  return {
    organization: { name: row.org_name, slug: row.org_slug },
    inviter: row.inviter_first_name !== null ? { firstName: row.inviter_first_name, lastName: row.inviter_last_name ?? '' } : null,
    email: row.email,
    role: row.role,
    expiresAt: row.expires_at.toISOString(),
    accountExists: row.existing_user_id !== null,
  }
}

/** The context of the new member acting in the organization, for audit and events. */
function memberCtx(pctx: PublicCtx, db: Executor, orgId: string, userId: string, role: Role): Ctx {
  return { ...pctx, orgId, userId, sessionId: null, actor: { type: 'user', id: userId }, role, permissions: permissionsOf(role), db }
}

/** Claims the invitation (once), adds the membership, records and announces it. */
async function join(pctx: PublicCtx, db: Executor, inv: TokenLookupRow, userId: string): Promise<void> {
  if (!(await markAccepted(db, inv.org_id, inv.id, userId))) {
    const now = await findInvitation(db, inv.org_id, inv.id)
    if (now) refuseUnusable(now)
    throw new NotFoundError('Invitation')
  }
  await insertMembership(db, { org_id: inv.org_id, user_id: userId, role: inv.role })
  const ctx = memberCtx(pctx, db, inv.org_id, userId, inv.role)
  await audit(ctx, { entity: 'invitation', entityId: inv.id, action: 'accepted', changes: { email: inv.email, role: inv.role } })
  await audit(ctx, { entity: 'membership', entityId: userId, action: 'joined', changes: { role: { from: null, to: inv.role }, invitationId: inv.id } })
  const member = await findMember(db, inv.org_id, userId)
  if (member) {
    await publish(ctx, {
      type: 'member.added',
      aggregate: 'membership',
      aggregateId: userId,
      rooms: [rooms.org(inv.org_id)],
      payload: toMemberDto(member),
    })
  }
}

export async function acceptInvitation(pctx: PublicCtx, principal: Principal | null, input: InvitationAccept): Promise<AcceptResultDto> {
  const inv = await findUsable(pctx, input.token)
  const organization = { id: inv.org_id, name: inv.org_name, slug: inv.org_slug }

  if (inv.existing_user_id !== null) {
    const userId = inv.existing_user_id
    if (!principal || principal.kind !== 'user') {
      throw new UnauthenticatedError(`An account exists for ${inv.email}: sign in as it, then accept with its access token`, 'sign_in_required')
    }
    if (principal.userId !== userId) throw new ForbiddenError('This invitation is for another account', 'wrong_account')
    return pctx.platform.db.tenant({ orgId: inv.org_id, userId }, async (db) => {
      if (!(await sessionIsLive(db, principal.sessionId, userId))) {
        throw new UnauthenticatedError('Session has ended or access was revoked', 'invalid_token')
      }
      if (await findMembership(db, inv.org_id, userId)) {
        throw new ConflictError('You are already a member of this organization', 'already_member')
      }
      await join(pctx, db, inv, userId)
      const user = await userRow(db, userId)
      if (!user) throw new NotFoundError('User')
      const tokens = await startSession(pctx, db, { userId, orgId: inv.org_id })
      return { user: toUser(user), organization, role: inv.role, tokens, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
    })
  }

  const missing = (['firstName', 'lastName', 'password'] as const).filter((k) => !input[k]?.trim())
  if (missing.length) {
    throw new ValidationError(
      'A new account needs firstName, lastName and password',
      missing.map((path) => ({ path, message: 'is required to create your account' })),
    )
  }
  const userId = newId()
  return pctx.platform.db.tenant({ orgId: inv.org_id, userId }, async (db) => {
    const user = await createUser(db, {
      id: userId,
      email: inv.email,
      password: input.password!,
      firstName: input.firstName!,
      lastName: input.lastName!,
      emailVerified: true,
    })
    await join(pctx, db, inv, userId)
    const tokens = await startSession(pctx, db, { userId, orgId: inv.org_id })
    return { user: toUser(user), organization, role: inv.role, tokens, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
  })
}
