// Every module of Luminous, in the order their routes and jobs are registered.
import type { FastifyPluginAsync } from 'fastify'
import type { Platform } from '../platform/platform.js'
import { auditModule } from './audit/index.js'
import { devModule } from './dev/index.js'
import { filesModule } from './files/index.js'
import { identityModule } from './identity/index.js'
import { notificationsModule } from './notifications/index.js'
import { organizationsModule } from './organizations/index.js'

export interface Module {
  name: string
  /** The module's HTTP routes, mounted under /api/v1. */
  routes(platform: Platform): FastifyPluginAsync
  /** Registers the module's background tasks on platform.jobs. */
  jobs?(platform: Platform): void
}

export const modules: Module[] = [identityModule, organizationsModule, filesModule, notificationsModule, auditModule, devModule]
