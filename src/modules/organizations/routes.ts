// Every HTTP route of the organizations module; each file under routes/ registers one resource.
import type { FastifyPluginAsync } from 'fastify'
import type { Platform } from '../../platform/platform.js'
import { apiKeyRoutes } from './routes/api-keys.js'
import { invitationRoutes } from './routes/invitations.js'
import { memberRoutes } from './routes/members.js'
import { organizationRoutes } from './routes/organization.js'
import { teamRoutes } from './routes/teams.js'

export const routes =
  (platform: Platform): FastifyPluginAsync =>
  async (app) => {
    await app.register(organizationRoutes(platform))
    await app.register(memberRoutes(platform))
    await app.register(invitationRoutes(platform))
    await app.register(teamRoutes(platform))
    await app.register(apiKeyRoutes(platform))
  }
