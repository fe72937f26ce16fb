// Teams and their members.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { listQuerystring, type ListParams } from '../../../platform/http/lists.js'
import { errorResponses, IdParams, ListOf } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import {
  TeamCreateSchema,
  TeamDetailSchema,
  TeamMemberParams,
  TeamMembersSetSchema,
  TeamSchema,
  TeamUpdateSchema,
} from '../schemas/teams.js'
import { teamList } from '../service/lists.js'
import { defaultEmptyBody, EmptyBody } from './no-body.js'
import {
  addTeamMember,
  createTeam,
  getTeam,
  listTeams,
  removeTeam,
  removeTeamMember,
  setTeamMembers,
  updateTeamProfile,
} from '../service/teams.js'

const tags = ['Teams']
const Deleted = Type.Null({ description: 'Done' })

export const teamRoutes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/teams', {
      config: { permission: 'members:read' },
      schema: { tags, summary: 'Teams of the organization', querystring: listQuerystring(teamList), response: { 200: ListOf(TeamSchema), ...errorResponses(400) } },
      handler: async (request) => listTeams(request.ctx, request.query as ListParams),
    })

    app.post('/teams', {
      config: { permission: 'teams:manage', idempotent: true },
      schema: {
        tags,
        summary: 'Create a team',
        body: TeamCreateSchema,
        response: { 201: TeamDetailSchema, ...errorResponses(400, 409) },
      },
      handler: async (request, reply) => {
        const team = await createTeam(request.ctx, request.body)
        void reply.code(201)
        return team
      },
    })

    app.get('/teams/:id', {
      config: { permission: 'members:read' },
      schema: { tags, summary: 'A team with its members', params: IdParams, response: { 200: TeamDetailSchema, ...errorResponses(400, 404) } },
      handler: async (request) => getTeam(request.ctx, request.params.id),
    })

    app.patch('/teams/:id', {
      config: { permission: 'teams:manage' },
      schema: {
        tags,
        summary: 'Rename a team or change its description',
        params: IdParams,
        body: TeamUpdateSchema,
        response: { 200: TeamDetailSchema, ...errorResponses(400, 404, 409) },
      },
      handler: async (request) => updateTeamProfile(request.ctx, request.params.id, request.body),
    })

    app.delete('/teams/:id', {
      config: { permission: 'teams:manage' },
      schema: { tags, summary: 'Delete a team', params: IdParams, response: { 204: Deleted, ...errorResponses(400, 404) } },
      handler: async (request, reply) => {
        await removeTeam(request.ctx, request.params.id)
        void reply.code(204)
        return null
      },
    })

    app.put('/teams/:id/members', {
      config: { permission: 'teams:manage' },
      schema: {
        tags,
        summary: "Set a team's members",
        description: 'Replaces the member list. Every id must be a member of the organization.',
        params: IdParams,
        body: TeamMembersSetSchema,
        response: { 200: TeamDetailSchema, ...errorResponses(400, 404) },
      },
      handler: async (request) => setTeamMembers(request.ctx, request.params.id, request.body.userIds),
    })

    app.post('/teams/:id/members/:userId', {
      config: { permission: 'teams:manage' },
      schema: {
        tags,
        summary: 'Add a member to a team',
        description: 'Adding someone already in the team changes nothing.',
        params: TeamMemberParams,
        body: EmptyBody,
        response: { 200: TeamDetailSchema, ...errorResponses(400, 404) },
      },
      preValidation: defaultEmptyBody,
      handler: async (request) => addTeamMember(request.ctx, request.params.id, request.params.userId),
    })

    app.delete('/teams/:id/members/:userId', {
      config: { permission: 'teams:manage' },
      schema: { tags, summary: 'Remove a member from a team', params: TeamMemberParams, response: { 204: Deleted, ...errorResponses(400, 404) } },
      handler: async (request, reply) => {
        await removeTeamMember(request.ctx, request.params.id, request.params.userId)
        void reply.code(204)
        return null
      },
    })
  }
