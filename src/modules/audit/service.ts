// Reading the audit log of the current organization.
import type { Selectable } from 'kysely'
import type { AuditLogsTable } from '../../platform/audit-tables.js'
import type { Ctx } from '../../platform/context.js'
import { NotFoundError, ValidationError } from '../../platform/errors.js'
import { list, type ListParams, type ListResult } from '../../platform/http/lists.js'
import { auditLogList } from './lists.js'
import { auditLogsQuery, findAuditLog, type AuditLogFilters } from './queries.js'
import type { AuditLogDto } from './schemas.js'

export const toAuditLogDto = (r: Selectable<AuditLogsTable>): AuditLogDto => ({
  id: r.id,
  actor: { type: r.actor_type, id: r.actor_id },
  entity: r.entity,
  entityId: r.entity_id,
  action: r.action,
  changes: (r.changes ?? null) as AuditLogDto['changes'],
  requestId: r.request_id,
  ip: r.ip,
  createdAt: r.created_at.toISOString(),
})

export function listAuditLogs(ctx: Ctx, params: ListParams & AuditLogFilters): Promise<ListResult<AuditLogDto>> {
  if (params.from !== undefined && params.to !== undefined && Date.parse(params.from) >= Date.parse(params.to)) {
    throw ValidationError.field('to', 'must be after from')
  }
  return list(ctx, auditLogsQuery(ctx.db, ctx.orgId, params), auditLogList, params, toAuditLogDto)
}

export async function getAuditLog(ctx: Ctx, id: string): Promise<AuditLogDto> {
  const row = await findAuditLog(ctx.db, ctx.orgId, id)
  if (!row) throw new NotFoundError('Audit log entry')
  return toAuditLogDto(row)
}
