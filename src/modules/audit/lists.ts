// The audit log list: newest first (served by the (org_id, created_at DESC, id DESC) index).
import { defineList } from '../../platform/http/lists.js'

export const auditLogList = defineList({
  fields: {
    createdAt: { column: 'created_at', type: 'date', sort: true, filter: ['gt', 'gte', 'lt', 'lte'] },
    entity: { column: 'entity', type: 'string', filter: ['eq', 'ne', 'in', 'nin'] },
    entityId: { column: 'entity_id', type: 'string', filter: ['eq', 'in'] },
    action: { column: 'action', type: 'string', filter: ['eq', 'ne', 'in', 'nin', 'startsWith'] },
    actorId: { column: 'actor_id', type: 'uuid', nullable: true, filter: ['eq', 'ne', 'in', 'isNull'] },
    actorType: { column: 'actor_type', type: 'enum', values: ['user', 'api_key', 'system'], filter: true },
    requestId: { column: 'request_id', type: 'string', nullable: true, filter: ['eq'] },
  },
  defaultSort: '-createdAt',
})
