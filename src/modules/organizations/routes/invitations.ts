// Invitations: managed by members with members:manage; looked up and accepted by the invitee.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { publicCtx } from '../../../platform/http/guard.js'
import { listQuerystring, type ListParams } from '../../../platform/http/lists.js'
import { errorResponses, IdParams, ListOf } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import {
  acceptResultSchema,
  InvitationAcceptSchema,
  InvitationCreateSchema,
  InvitationLookupSchema,
  InvitationSchema,
  LookupQuery,
} from '../schemas/invitations.js'
import { acceptInvitation, lookupInvitation } from '../service/invitation-accept.js'
import { getInvitation, invite, listInvitations, resendInvitation, revokeInvitation } from '../service/invitations.js'
import { invitationList } from '../service/lists.js'
import { defaultEmptyBody, EmptyBody } from './no-body.js'

const tags = ['Invitations']

/** Token look-ups and account creation get the stricter per-IP limit of the auth routes. */
const publicRateLimit = (platform: Platform) => ({
  max: platform.config.AUTH_RATE_LIMIT_MAX,
  timeWindow: 60_000,
  keyGenerator: (req: FastifyRequest) => `invitation:${req.ip}`,
})

export const invitationRoutes =
  (platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.post('/invitations', {
      config: { permission: 'members:manage', idempotent: true },
      schema: {
        tags,
        summary: 'Invite someone by e-mail',
        description:
          'E-mails a link with a single-use token valid for 7 days. Inviting an address that already has an open invitation ' +
          'refreshes it (new token, role and expiry; 200 instead of 201). You cannot invite with a role above your own; only ' +
          'owners invite owners.',
        body: InvitationCreateSchema,
        response: { 201: InvitationSchema, 200: InvitationSchema, ...errorResponses(400, 409) },
      },
      handler: async (request, reply) => {
        const { created, invitation } = await invite(request.ctx, request.body)
        void reply.code(created ? 201 : 200)
        return invitation
      },
    })

    app.get('/invitations', {
      config: { permission: 'members:read' },
      schema: {
        tags,
        summary: 'Invitations of the organization',
        description: 'Filter by state with `filter[status][eq]=pending`.',
        querystring: listQuerystring(invitationList),
        response: { 200: ListOf(InvitationSchema), ...errorResponses(400) },
      },
      handler: async (request) => listInvitations(request.ctx, request.query as ListParams),
    })

    app.get('/invitations/lookup', {
      config: { auth: 'none', rateLimit: publicRateLimit(platform) },
      schema: {
        tags,
        summary: 'What an invitation token is for (public)',
        description:
          'For the accept page: the organization, who invited, the role, the address and whether it already has an account. ' +
          'Used, revoked or expired tokens answer 422 with `invitation_already_accepted`, `invitation_revoked` or `invitation_expired`.',
        querystring: LookupQuery,
        response: { 200: InvitationLookupSchema, ...errorResponses(400, 404, 422) },
      },
      handler: async (request) => lookupInvitation(publicCtx(platform, request), request.query.token),
    })

    app.post('/invitations/accept', {
      config: { auth: 'none', rateLimit: publicRateLimit(platform) },
      schema: {
        tags,
        summary: 'Accept an invitation (public, or signed in for an existing account)',
        description:
          'A new address: send firstName, lastName and password; the account is created with the e-mail verified. An address ' +
          'with an account: send the token with `Authorization: Bearer` of that account (401 `sign_in_required` otherwise). ' +
          'Returns tokens for the inviting organization.',
        security: [{}, { bearerAuth: [] }],
        body: InvitationAcceptSchema,
        response: { 200: acceptResultSchema(), ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
      handler: async (request) => acceptInvitation(publicCtx(platform, request), request.principal, request.body),
    })

    app.get('/invitations/:id', {
      config: { permission: 'members:read' },
      schema: { tags, summary: 'One invitation', params: IdParams, response: { 200: InvitationSchema, ...errorResponses(400, 404) } },
      handler: async (request) => getInvitation(request.ctx, request.params.id),
    })

    app.delete('/invitations/:id', {
      config: { permission: 'members:manage' },
      schema: {
        tags,
        summary: 'Revoke an invitation',
        description: 'Its link stops working. An accepted invitation cannot be revoked (422); remove the member instead.',
        params: IdParams,
        response: { 204: Type.Null({ description: 'Revoked' }), ...errorResponses(400, 404, 422) },
      },
      handler: async (request, reply) => {
        await revokeInvitation(request.ctx, request.params.id)
        void reply.code(204)
        return null
      },
    })

    app.post('/invitations/:id/resend', {
      config: { permission: 'members:manage', idempotent: true },
      schema: {
        tags,
        summary: 'E-mail the invitation again',
        description: 'Issues a new token (the old link stops working) valid for 7 days from now.',
        params: IdParams,
        body: EmptyBody,
        response: { 200: InvitationSchema, ...errorResponses(400, 404, 422) },
      },
      preValidation: defaultEmptyBody,
      handler: async (request) => resendInvitation(request.ctx, request.params.id),
    })
  }
