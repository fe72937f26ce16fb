// The audit log API, for owners and admins (`audit:read`).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { listQuerystring, type ListParams } from '../../platform/http/lists.js'
import { errorResponses, IdParams, ListOf } from '../../platform/http/schemas.js'
import type { Platform } from '../../platform/platform.js'
import { auditLogList } from './lists.js'
import type { AuditLogFilters } from './queries.js'
import { AuditLogListExtras, AuditLogSchema } from './schemas.js'
import { getAuditLog, listAuditLogs } from './service.js'

const tags = ['Audit log']

export const routes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/audit-logs', {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        summary: 'Audit log of the organization',
        description:
          'Every change: who (user, API key or system), what (entity, id, action), the changed fields before and after, ' +
          'the request id and IP. Newest first. Filter with `entity`, `entityId`, `actorId`, `action`, `from` and `to`, ' +
          'or `filter[field][op]` (e.g. `filter[action][in]=created,deleted`).',
        querystring: listQuerystring(auditLogList, AuditLogListExtras),
        response: { 200: ListOf(AuditLogSchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => listAuditLogs(request.ctx, request.query as ListParams & AuditLogFilters),
    })

    app.get('/audit-logs/:id', {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        summary: 'One audit log entry',
        params: IdParams,
        response: { 200: AuditLogSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => getAuditLog(request.ctx, request.params.id),
    })
  }
