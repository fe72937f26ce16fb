// Identity: who a person is and how they prove it — users, argon2id credentials, sessions with
// rotating refresh-token families, log-in throttling, e-mail verification, password reset and TOTP.
// Other modules create users and sessions, check passwords and read the user DTO through this file.
import type { Module } from '../index.js'
import { identityRoutes } from './routes/index.js'

export { assertPasswordPolicy, hashPassword, verifyPassword } from './password.js'
export { normalizePhone } from './phone.js'
export { UserSchema, toUser, AuthTokensSchema, type User, type AuthTokens } from './schemas.js'
export { createUser, normalizeEmail, type CreateUserInput } from './service/users.js'
export { startSession } from './service/sessions.js'
export type { UsersRow } from './tables.js'

export const identityModule: Module = {
  name: 'identity',
  routes: identityRoutes,
}
