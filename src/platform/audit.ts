// The audit log: every change records who, what and the changed fields before/after, in the same
// transaction as the change.
import type { Ctx } from './context.js'
import './audit-tables.js'

export interface AuditEntry {
  entity: string
  entityId: string
  action: string
  /** Changed fields: `{ field: { from, to } }`, or a snapshot for creates/deletes. */
  changes?: Record<string, unknown> | null
}

export async function audit(ctx: Ctx, entry: AuditEntry): Promise<void> {
  await ctx.db
    .insertInto('audit_logs')
    .values({
      org_id: ctx.orgId,
      actor_type: ctx.actor.type,
      actor_id: ctx.actor.id,
      entity: entry.entity,
      entity_id: entry.entityId,
      action: entry.action,
      changes: entry.changes ? JSON.stringify(entry.changes) : null,
      request_id: ctx.requestId,
      ip: ctx.ip || null,
    })
    .execute()
}

/** `{ field: { from, to } }` for the fields of `patch` whose value differs from `before`. */
export function diff<T extends object>(before: T, patch: Partial<T>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {}
  for (const [k, to] of Object.entries(patch)) {
    if (to === undefined) continue
    const from = (before as Record<string, unknown>)[k]
    if (JSON.stringify(from) !== JSON.stringify(to)) out[k] = { from, to }
  }
  return out
}
