// The signed-in user's sessions (one per log-in on a device): list them and revoke one.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { errorResponses, IdParams, ListOf, Nullable, Obj, Timestamp, Uuid } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { listSessions, revokeOwnSession } from '../service/sessions.js'

const tags = ['Sessions']

const SessionSchema = Type.Object(
  {
    id: Uuid,
    device: Nullable(Type.String({ description: 'User agent of the client that logged in', examples: ['Mozilla/5.0 (Macintosh; ...)'] })),
    ip: Nullable(Type.String({ examples: ['203.0.113.7'] })),
    organizationId: Uuid,
    createdAt: Timestamp,
    lastUsedAt: Timestamp,
    expiresAt: Timestamp,
    current: Type.Boolean({ description: 'The session of this request' }),
  },
  { title: 'Session' },
)

const SessionsQuery = Obj({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
})

export const sessionRoutes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/auth/sessions', {
      schema: {
        tags,
        summary: 'Active sessions of the signed-in user, newest first',
        querystring: SessionsQuery,
        response: { 200: ListOf(SessionSchema), ...errorResponses(400) },
      },
      handler: async (request) => listSessions(request.ctx, request.query),
    })

    app.delete('/auth/sessions/:id', {
      schema: {
        tags,
        summary: 'Revoke one of your sessions (log that device out)',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Revoked' }), ...errorResponses(400, 404) },
      },
      handler: async (request, reply) => {
        await revokeOwnSession(request.ctx, request.params.id)
        void reply.code(204)
        return null
      },
    })
  }
