// Development helpers that must never exist in production: the mailbox where a developer reads the
// e-mail Luminous would have sent (reset and verification links) when no SMTP server is configured.
import type { Module } from '../index.js'
import { devRoutes } from './routes.js'

export const devModule: Module = {
  name: 'dev',
  routes: devRoutes,
}
