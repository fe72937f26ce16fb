// SQL for reading the audit log (written by platform/audit.ts in each change's transaction).
import type { Executor } from '../../platform/db/database.js'
import '../../platform/audit-tables.js'

export interface AuditLogFilters {
  entity?: string
  entityId?: string
  actorId?: string
  action?: string
  from?: string
  to?: string
}

export function auditLogsQuery(db: Executor, orgId: string, f: AuditLogFilters) {
  let q = db.selectFrom('audit_logs').selectAll().where('org_id', '=', orgId)
  if (f.entity !== undefined) q = q.where('entity', '=', f.entity)
  if (f.entityId !== undefined) q = q.where('entity_id', '=', f.entityId)
  if (f.actorId !== undefined) q = q.where('actor_id', '=', f.actorId)
  if (f.action !== undefined) q = q.where('action', '=', f.action)
  if (f.from !== undefined) q = q.where('created_at', '>=', new Date(f.from))
  if (f.to !== undefined) q = q.where('created_at', '<', new Date(f.to))
  return q
}

export function findAuditLog(db: Executor, orgId: string, id: string) {
  return db.selectFrom('audit_logs').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}
