// Audit entries for changes to a user made before anyone is signed in (verification, password reset):
// the audit log is per organization, so they are filed under the organization the user lands in.
import { audit, type AuditEntry } from '../../../platform/audit.js'
import type { PublicCtx } from '../../../platform/context.js'
import type { Executor } from '../../../platform/db/database.js'
import { landingMembership } from '../queries.js'
import type { UsersRow } from '../tables.js'
import { actingCtx } from './acting.js'

export async function auditUserEvent(pctx: PublicCtx, db: Executor, user: Pick<UsersRow, 'id' | 'last_org_id'>, entry: AuditEntry): Promise<void> {
  const m = await landingMembership(db, user.id, user.last_org_id)
  if (m) await audit(actingCtx(pctx, db, { orgId: m.org_id, userId: user.id, role: m.role }), entry)
}
