// The context of a user acting inside a public route's own transaction (register, log-in, reset), so
// that audit entries and events carry the same actor as in an authenticated request.
import { permissionsOf, type Role } from '../../../platform/auth/permissions.js'
import type { Ctx, PublicCtx } from '../../../platform/context.js'
import type { Executor } from '../../../platform/db/database.js'

export function actingCtx(pctx: PublicCtx, db: Executor, a: { orgId: string; userId: string; role: Role }): Ctx {
  return {
    ...pctx,
    orgId: a.orgId,
    userId: a.userId,
    sessionId: null,
    actor: { type: 'user', id: a.userId },
    role: a.role,
    permissions: permissionsOf(a.role),
    db,
  }
}
