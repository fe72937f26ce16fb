// API keys of the organization.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { listQuerystring, type ListParams } from '../../../platform/http/lists.js'
import { errorResponses, IdParams, ListOf } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { ApiKeyCreateSchema, ApiKeySchema, CreatedApiKeySchema } from '../schemas/api-keys.js'
import { createApiKey, getApiKey, listApiKeys, revokeKey } from '../service/api-keys.js'
import { apiKeyList } from '../service/lists.js'

const tags = ['API keys']

export const apiKeyRoutes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    // Not idempotent on purpose: replaying a stored response would mean storing the secret in clear.
    app.post('/api-keys', {
      config: { permission: 'api-keys:manage' },
      schema: {
        tags,
        summary: 'Create an API key',
        description:
          'The key is in this response only; it is stored hashed. It acts for this organization with the given permissions, ' +
          'which must be ones you hold. Send it as `X-API-Key`.',
        body: ApiKeyCreateSchema,
        response: { 201: CreatedApiKeySchema, ...errorResponses(400) },
      },
      handler: async (request, reply) => {
        const key = await createApiKey(request.ctx, request.body)
        void reply.code(201)
        return key
      },
    })

    app.get('/api-keys', {
      config: { permission: 'api-keys:manage' },
      schema: {
        tags,
        summary: 'API keys of the organization (never the secrets)',
        querystring: listQuerystring(apiKeyList),
        response: { 200: ListOf(ApiKeySchema), ...errorResponses(400) },
      },
      handler: async (request) => listApiKeys(request.ctx, request.query as ListParams),
    })

    app.get('/api-keys/:id', {
      config: { permission: 'api-keys:manage' },
      schema: { tags, summary: 'One API key', params: IdParams, response: { 200: ApiKeySchema, ...errorResponses(400, 404) } },
      handler: async (request) => getApiKey(request.ctx, request.params.id),
    })

    app.delete('/api-keys/:id', {
      config: { permission: 'api-keys:manage' },
      schema: {
        tags,
        summary: 'Revoke an API key',
        description: 'It stops working at once. Revoking a revoked key changes nothing.',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Revoked' }), ...errorResponses(400, 404) },
      },
      handler: async (request, reply) => {
        await revokeKey(request.ctx, request.params.id)
        void reply.code(204)
        return null
      },
    })
  }
