// Every HTTP route of the identity module; each file registers one resource.
import type { FastifyPluginAsync } from 'fastify'
import type { Platform } from '../../../platform/platform.js'
import { authRoutes } from './auth.js'
import { meRoutes } from './me.js'
import { passwordRoutes } from './passwords.js'
import { sessionRoutes } from './sessions.js'
import { twoFactorRoutes } from './two-factor.js'

export const identityRoutes =
  (platform: Platform): FastifyPluginAsync =>
  async (app) => {
    await app.register(authRoutes(platform))
    await app.register(passwordRoutes(platform))
    await app.register(sessionRoutes(platform))
    await app.register(twoFactorRoutes(platform))
    await app.register(meRoutes(platform))
  }
