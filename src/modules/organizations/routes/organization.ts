// The current organization's business profile and logo, and the organizations of the signed-in user.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { listQuerystring, type ListParams } from '../../../platform/http/lists.js'
import { errorResponses, ListOf } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { MyOrganizationSchema, OrganizationSchema, ProfileUpdateSchema } from '../schemas/organization.js'
import { myOrganizationList } from '../service/lists.js'
import { getCurrentOrganization, myOrganizations, updateCurrentOrganization } from '../service/profile.js'

const tags = ['Organizations']

const updateSchema = (summary: string, description: string) => ({
  tags,
  summary,
  description,
  body: ProfileUpdateSchema,
  response: { 200: OrganizationSchema, ...errorResponses(400, 404) },
})

export const organizationRoutes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/organizations', {
      schema: {
        tags,
        summary: 'Organizations you belong to, with your role in each',
        description: 'For the organization switcher; switch with `POST /api/v1/auth/switch-organization`.',
        querystring: listQuerystring(myOrganizationList),
        response: { 200: ListOf(MyOrganizationSchema), ...errorResponses(400) },
      },
      handler: async (request) => myOrganizations(request.ctx, request.query as ListParams),
    })

    app.get('/organizations/current', {
      config: { permission: 'organization:read' },
      schema: {
        tags,
        summary: 'The current organization (business profile)',
        response: { 200: OrganizationSchema, ...errorResponses(404) },
      },
      handler: async (request) => getCurrentOrganization(request.ctx),
    })

    app.patch('/organizations/current', {
      config: { permission: 'organization:update' },
      schema: updateSchema(
        'Update the business profile',
        'Partial update: omitted fields keep their value; `null` clears an optional field. country is ISO 3166-1 ' +
          'alpha-2, currency ISO 4217, timezone an IANA zone name. Every change is audited.',
      ),
      handler: async (request) => updateCurrentOrganization(request.ctx, request.body),
    })

    app.put('/organizations/current', {
      config: { permission: 'organization:update' },
      schema: updateSchema(
        'Update the business profile (seed form)',
        'Same as PATCH, kept for clients written against the seed API: omitted fields keep their value.',
      ),
      handler: async (request) => updateCurrentOrganization(request.ctx, request.body),
    })
  }
