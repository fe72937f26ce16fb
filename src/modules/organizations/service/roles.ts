// Who may grant, change and remove which roles. Routes already require members:manage; these rules
// add the hierarchy: nobody grants a role above their own, only owners make or unmake owners, and
// nobody changes or removes a member ranked above them. API keys act at admin rank: they can manage
// members but never touch ownership.
import { ROLE_RANK, type Role } from '../../../platform/auth/permissions.js'
import type { Ctx } from '../../../platform/context.js'
import { ForbiddenError } from '../../../platform/errors.js'

const actorRank = (ctx: Ctx): number => ROLE_RANK[ctx.role ?? 'admin']
const actorIsOwner = (ctx: Ctx): boolean => ctx.role === 'owner'

/** Throws unless the actor may give someone `role` (by invitation or role change). */
export function assertCanGrant(ctx: Ctx, role: Role): void {
  if (role === 'owner' && !actorIsOwner(ctx)) throw new ForbiddenError('Only an owner can make someone an owner', 'owner_required')
  if (ROLE_RANK[role] > actorRank(ctx)) throw new ForbiddenError(`You cannot grant the ${role} role, which is above your own`, 'role_above_own')
}

/** Throws unless the actor may change or remove a member who holds `current`. */
export function assertCanManage(ctx: Ctx, current: Role): void {
  if (current === 'owner' && !actorIsOwner(ctx)) throw new ForbiddenError('Only an owner can change or remove an owner', 'owner_required')
  if (ROLE_RANK[current] > actorRank(ctx)) throw new ForbiddenError(`You cannot manage a member whose role (${current}) is above your own`, 'role_above_own')
}
