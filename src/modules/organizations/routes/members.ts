// Members of the current organization: list, read, change role, remove (or leave).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { listQuerystring, type ListParams } from '../../../platform/http/lists.js'
import { errorResponses, ListOf } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { MemberSchema, RoleChangeSchema, UserIdParams } from '../schemas/members.js'
import { memberList } from '../service/lists.js'
import { changeMemberRole, getMember, listMembers, removeMember } from '../service/members.js'

const tags = ['Members']

export const memberRoutes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/members', {
      config: { permission: 'members:read' },
      schema: {
        tags,
        summary: 'Members of the organization',
        description: 'Filter by role with `filter[role][eq]=agent` (or `[in]=admin,manager`); `q` searches name and e-mail.',
        querystring: listQuerystring(memberList),
        response: { 200: ListOf(MemberSchema), ...errorResponses(400) },
      },
      handler: async (request) => listMembers(request.ctx, request.query as ListParams),
    })

    app.get('/members/:userId', {
      config: { permission: 'members:read' },
      schema: { tags, summary: 'One member', params: UserIdParams, response: { 200: MemberSchema, ...errorResponses(400, 404) } },
      handler: async (request) => getMember(request.ctx, request.params.userId),
    })

    app.patch('/members/:userId', {
      config: { permission: 'members:manage' },
      schema: {
        tags,
        summary: "Change a member's role",
        description:
          'Nobody grants a role above their own; only owners make or unmake owners; the last owner cannot be demoted ' +
          '(422 `last_owner`).',
        params: UserIdParams,
        body: RoleChangeSchema,
        response: { 200: MemberSchema, ...errorResponses(400, 404, 422) },
      },
      handler: async (request) => changeMemberRole(request.ctx, request.params.userId, request.body.role),
    })

    app.delete('/members/:userId', {
      config: { permission: 'members:read' },
      schema: {
        tags,
        summary: 'Remove a member, or leave the organization (your own user id)',
        description:
          'Removing someone else needs `members:manage`; an admin cannot remove an owner. The last owner cannot leave or be ' +
          'removed (422 `last_owner`).',
        params: UserIdParams,
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(400, 404, 422) },
      },
      handler: async (request, reply) => {
        await removeMember(request.ctx, request.params.userId)
        void reply.code(204)
        return null
      },
    })
  }
