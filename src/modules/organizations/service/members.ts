// Members of the current organization: read, change role, remove (or leave). At least one owner
// always remains; the hierarchy rules are in roles.ts.
import type { Role } from '../../../platform/auth/permissions.js'
import { audit } from '../../../platform/audit.js'
import type { Ctx } from '../../../platform/context.js'
import { ForbiddenError, NotFoundError, StateError } from '../../../platform/errors.js'
import { publish, rooms } from '../../../platform/events/outbox.js'
import { list, type ListParams, type ListResult } from '../../../platform/http/lists.js'
import { deleteMembership, findMember, lockOwners, membersQuery, updateMembershipRole, type MemberRow } from '../queries/members.js'
import type { MemberDto } from '../schemas/members.js'
import { memberList } from './lists.js'
import { assertCanGrant, assertCanManage } from './roles.js'

export function toMemberDto(row: MemberRow): MemberDto {
  return {
    userId: row.user_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    joinedAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export function listMembers(ctx: Ctx, params: ListParams): Promise<ListResult<MemberDto>> {
  return list(ctx, membersQuery(ctx.db, ctx.orgId), memberList, params, toMemberDto)
}

export async function getMember(ctx: Ctx, userId: string): Promise<MemberDto> {
  const row = await findMember(ctx.db, ctx.orgId, userId)
  if (!row) throw new NotFoundError('Member')
  return toMemberDto(row)
}

const lastOwner = () =>
  new StateError('The organization must keep at least one owner; make someone else an owner first', 'last_owner')

export async function changeMemberRole(ctx: Ctx, userId: string, role: Role): Promise<MemberDto> {
  // Owners are locked before the member is read, so concurrent demotions see each other's result.
  const owners = await lockOwners(ctx.db, ctx.orgId)
  const member = await findMember(ctx.db, ctx.orgId, userId)
  if (!member) throw new NotFoundError('Member')
  if (member.role === role) return toMemberDto(member)
  assertCanManage(ctx, member.role)
  assertCanGrant(ctx, role)
  if (member.role === 'owner' && owners.length <= 1) throw lastOwner()

  await updateMembershipRole(ctx.db, ctx.orgId, userId, role)
  const updated = await findMember(ctx.db, ctx.orgId, userId)
  if (!updated) throw new NotFoundError('Member')
  const dto = toMemberDto(updated)
  await audit(ctx, { entity: 'membership', entityId: userId, action: 'role_changed', changes: { role: { from: member.role, to: role } } })
  await publish(ctx, {
    type: 'member.updated',
    aggregate: 'membership',
    aggregateId: userId,
    rooms: [rooms.org(ctx.orgId), rooms.user(userId)],
    payload: dto,
  })
  return dto
}

/** Removes a member; members:manage is needed unless members remove themselves (leave). */
export async function removeMember(ctx: Ctx, userId: string): Promise<void> {
  const leaving = userId === ctx.userId
  if (!leaving && !ctx.permissions.has('members:manage')) throw new ForbiddenError('This needs the members:manage permission')
  const owners = await lockOwners(ctx.db, ctx.orgId)
  const member = await findMember(ctx.db, ctx.orgId, userId)
  if (!member) throw new NotFoundError('Member')
  if (!leaving) assertCanManage(ctx, member.role)
  if (member.role === 'owner' && owners.length <= 1) throw lastOwner()

  await deleteMembership(ctx.db, ctx.orgId, userId)
  await audit(ctx, {
    entity: 'membership',
    entityId: userId,
    action: leaving ? 'left' : 'removed',
    changes: { role: { from: member.role, to: null }, email: member.email },
  })
  await publish(ctx, {
    type: 'member.removed',
    aggregate: 'membership',
    aggregateId: userId,
    rooms: [rooms.org(ctx.orgId), rooms.user(userId)],
    payload: { orgId: ctx.orgId, userId },
  })
}
