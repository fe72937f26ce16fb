// Invitations by e-mail: a member with members:manage invites an address with a role; the e-mailed
// token (stored hashed) is valid for 7 days and single-use. Inviting the same address again, or
// resending, issues a fresh token and expiry. Accepting is in invitation-accept.ts.
import type { Role } from '../../../platform/auth/permissions.js'
import { audit } from '../../../platform/audit.js'
import { randomToken, sha256 } from '../../../platform/auth/tokens.js'
import type { Ctx } from '../../../platform/context.js'
import { ConflictError, NotFoundError, StateError } from '../../../platform/errors.js'
import { findOrganization } from '../queries/organizations.js'
import { list, type ListParams, type ListResult } from '../../../platform/http/lists.js'
import {
  findInvitation,
  invitationsListQuery,
  isMemberEmail,
  lockInvitation,
  markRevoked,
  renewInvitation,
  upsertOpenInvitation,
  type InvitationRow,
} from '../queries/invitations.js'
import type { InvitationCreate, InvitationDto } from '../schemas/invitations.js'
import { invitationList } from './lists.js'
import { assertCanGrant } from './roles.js'

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000

export function toInvitationDto(row: InvitationRow): InvitationDto {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.status,
    invitedBy: row.invited_by,
    expiresAt: row.expires_at.toISOString(),
    sentAt: row.sent_at.toISOString(),
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    acceptedBy: row.accepted_by,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  }
}

export const normalizeInviteEmail = (email: string): string => email.trim().toLowerCase()

export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl}/accept-invitation?token=${encodeURIComponent(token)}`
}

/** Writes the invitation e-mail in the caller's transaction (sent after commit by the mail job). */
async function sendInvitationMail(ctx: Ctx, to: string, role: Role, token: string, expiresAt: Date): Promise<void> {
  const org = await findOrganization(ctx.db, ctx.orgId)
  const inviter = ctx.userId
    ? await ctx.db.selectFrom('users').select(['first_name', 'last_name']).where('id', '=', ctx.userId).executeTakeFirst()
    : undefined
  const orgName = org?.name ?? 'an organization'
  const who = inviter ? `${inviter.first_name} ${inviter.last_name}`.trim() : `The team at ${orgName}`
  const link = invitationLink(ctx.platform.config.PUBLIC_URL, token)
  const until = expiresAt.toUTCString()
  await ctx.platform.mail.send(ctx.db, {
    orgId: ctx.orgId,
    to,
    subject: `${who} invited you to join ${orgName} on Luminous`,
    text:
      `${who} invited you to join ${orgName} on Luminous as ${role === 'admin' ? 'an' : 'a'} ${role}.\n\n` +
      `Accept the invitation: ${link}\n\n` +
      `The link works once and expires on ${until}. If you were not expecting this, ignore this e-mail.\n`,
  })
}

async function mustFind(ctx: Ctx, id: string, lock = false): Promise<InvitationRow> {
  const row = lock ? await lockInvitation(ctx.db, ctx.orgId, id) : await findInvitation(ctx.db, ctx.orgId, id)
  if (!row) throw new NotFoundError('Invitation')
  return row
}

export function listInvitations(ctx: Ctx, params: ListParams): Promise<ListResult<InvitationDto>> {
  return list(ctx, invitationsListQuery(ctx.db, ctx.orgId), invitationList, params, toInvitationDto)
}

export async function getInvitation(ctx: Ctx, id: string): Promise<InvitationDto> {
  return toInvitationDto(await mustFind(ctx, id))
}

export async function invite(ctx: Ctx, input: InvitationCreate): Promise<{ created: boolean; invitation: InvitationDto }> {
  assertCanGrant(ctx, input.role)
  const email = normalizeInviteEmail(input.email)
  if (await isMemberEmail(ctx.db, ctx.orgId, email)) {
    throw new ConflictError(`${email} is already a member of this organization`, 'already_member', [{ path: 'email', message: 'is already a member' }])
  }
  const token = randomToken(32)
  const expiresAt = new Date(Date.now() + INVITATION_TTL_MS)
  const { id, inserted } = await upsertOpenInvitation(ctx.db, {
    org_id: ctx.orgId,
    email,
    role: input.role,
    token_hash: sha256(token),
    invited_by: ctx.userId,
    expires_at: expiresAt,
  })
  await sendInvitationMail(ctx, email, input.role, token, expiresAt)
  await audit(ctx, {
    entity: 'invitation',
    entityId: id,
    action: inserted ? 'created' : 'refreshed',
    changes: { email, role: input.role, expiresAt: expiresAt.toISOString() },
  })
  return { created: inserted, invitation: toInvitationDto(await mustFind(ctx, id)) }
}

function assertOpen(row: InvitationRow): void {
  if (row.status === 'accepted') throw new StateError('This invitation has already been accepted', 'invitation_already_accepted')
  if (row.status === 'revoked') throw new StateError('This invitation was revoked; invite the address again', 'invitation_revoked')
}

/** A new token and a new 7-day expiry, e-mailed again. Works for expired invitations too. */
export async function resendInvitation(ctx: Ctx, id: string): Promise<InvitationDto> {
  const row = await mustFind(ctx, id, true)
  assertOpen(row)
  // Re-arming an invitation grants its role again, so the same rule as inviting applies.
  assertCanGrant(ctx, row.role)
  const token = randomToken(32)
  const expiresAt = new Date(Date.now() + INVITATION_TTL_MS)
  await renewInvitation(ctx.db, ctx.orgId, id, sha256(token), expiresAt)
  await sendInvitationMail(ctx, row.email, row.role, token, expiresAt)
  await audit(ctx, {
    entity: 'invitation',
    entityId: id,
    action: 'resent',
    changes: { expiresAt: { from: row.expires_at.toISOString(), to: expiresAt.toISOString() } },
  })
  return toInvitationDto(await mustFind(ctx, id))
}

/** Revoking a revoked invitation changes nothing; an accepted one cannot be revoked (remove the member). */
export async function revokeInvitation(ctx: Ctx, id: string): Promise<void> {
  const row = await mustFind(ctx, id, true)
  if (row.status === 'accepted') {
    throw new StateError('This invitation has already been accepted; remove the member instead', 'invitation_already_accepted')
  }
  if (row.status === 'revoked') return
  await markRevoked(ctx.db, ctx.orgId, id)
  await audit(ctx, { entity: 'invitation', entityId: id, action: 'revoked', changes: { email: row.email, role: row.role } })
}
