// The current organization's business profile and logo, and the organizations of the signed-in user.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { listQuerystring, type ListParams } from '../../../platform/http/lists.js'
import { errorResponses, ListOf } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { filePart, multipartBody, multipartValidator } from '../../files/index.js'
import { MyOrganizationSchema, OrganizationSchema, ProfileUpdateSchema } from '../schemas/organization.js'
import { myOrganizationList } from '../service/lists.js'
import { LOGO_MAX_BYTES, LOGO_MAX_SIDE, removeLogo, uploadLogo } from '../service/logo.js'
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

    // The seed names the upload route /organizations/upload-logo; /organizations/logo is its REST name.
    for (const url of ['/organizations/logo', '/organizations/upload-logo']) {
      app.post(url, {
        config: { permission: 'organization:update', transaction: false },
        validatorCompiler: multipartValidator,
        schema: {
          tags,
          summary: url.endsWith('upload-logo') ? 'Upload the business logo (seed path)' : 'Upload the business logo',
          description:
            `Multipart upload of one \`file\` part: a JPEG, PNG, GIF, WebP, AVIF or TIFF image of at most ${LOGO_MAX_BYTES / (1024 * 1024)} MB, ` +
            `recognised by its bytes (415 otherwise; 413 when larger). Stored as WebP within ${LOGO_MAX_SIDE}×${LOGO_MAX_SIDE}; the ` +
            'previous logo is removed. Answers the organization with a fresh signed `logo` URL.',
          ...multipartBody('The image'),
          response: { 200: OrganizationSchema, ...errorResponses(400, 404, 413, 415) },
        },
        handler: async (request) => uploadLogo(request.ctx, await filePart(request, LOGO_MAX_BYTES)),
      })
    }

    app.delete('/organizations/logo', {
      config: { permission: 'organization:update' },
      schema: {
        tags,
        summary: 'Remove the business logo',
        description: 'The logo file is deleted. Answers the organization, now with `logo: null`.',
        response: { 200: OrganizationSchema, ...errorResponses(404) },
      },
      handler: async (request) => removeLogo(request.ctx),
    })
  }
