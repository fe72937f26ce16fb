// Sign-up, log-in, token refresh, log-out, the signed-in user and switching organization.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { publicCtx } from '../../../platform/http/guard.js'
import { errorResponses, Obj, Uuid } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { AuthResultSchema, AuthTokensSchema, LoginBody, OrganizationSummarySchema, RegisterBody, RoleSchema, UserSchema } from '../schemas.js'
import { login, me, register, switchOrganization } from '../service/auth.js'
import { logout, refreshSession } from '../service/sessions.js'

const tags = ['Authentication']

/** The stricter per-IP limit (per route) of the auth routes that guess at secrets or send mail. */
export const authRateLimit = (platform: Platform) => ({
  max: platform.config.AUTH_RATE_LIMIT_MAX,
  timeWindow: 60_000,
  keyGenerator: (req: FastifyRequest) => `auth:${req.ip}`,
})

const RefreshBody = Obj({ refreshToken: Type.String({ minLength: 1, maxLength: 256 }) })
const LogoutBody = Obj({ all: Type.Optional(Type.Boolean({ default: false, description: 'End every session of the user, not just this one' })) })
const SwitchBody = Obj({ organizationId: Uuid })
const MeResponse = Type.Object({
  user: UserSchema,
  organization: OrganizationSummarySchema,
  role: RoleSchema,
  permissions: Type.Array(Type.String(), { examples: [['members:read', 'organization:read']] }),
})

export const authRoutes =
  (platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const limited = { auth: 'none' as const, rateLimit: authRateLimit(platform) }

    app.post('/auth/register', {
      config: limited,
      schema: {
        tags,
        summary: 'Sign up: create a user, their organization and a session',
        description:
          'Creates the user, an organization named after `businessName` (with a unique slug) and the owner membership in one ' +
          'transaction, sends an e-mail verification link and returns tokens. The password must be 10–128 characters, not a ' +
          'commonly used password, and not contain the e-mail; the phone number is stored in E.164.',
        body: RegisterBody,
        response: { 201: AuthResultSchema, ...errorResponses(400, 409, 429) },
      },
      handler: async (request, reply) => {
        const result = await register(publicCtx(platform, request), request.body)
        void reply.code(201)
        return result
      },
    })

    app.post('/auth/login', {
      config: limited,
      schema: {
        tags,
        summary: 'Log in with e-mail and password',
        description:
          'Lands in the organization used last (else the oldest membership). A wrong e-mail and a wrong password get the same ' +
          '401 `invalid_credentials`. Repeated failures per account and per IP are delayed and then locked for a while ' +
          '(429 with `Retry-After`). With two-factor on, a right password without `code` answers 401 `two_factor_required`; ' +
          'a wrong code answers 401 `invalid_two_factor_code` and counts as a failed log-in.',
        body: LoginBody,
        response: { 200: AuthResultSchema, ...errorResponses(400, 401, 422, 429) },
      },
      handler: async (request) => login(publicCtx(platform, request), request.body),
    })

    app.post('/auth/refresh', {
      config: { auth: 'none' },
      schema: {
        tags,
        summary: 'Exchange a refresh token for a new token pair',
        description:
          'Refresh tokens are single-use: the answer carries a new one. Presenting a used refresh token again revokes the whole ' +
          'session (every token issued from the same log-in) and answers 401.',
        body: RefreshBody,
        response: { 200: AuthTokensSchema, ...errorResponses(400, 401) },
      },
      handler: async (request) => refreshSession(publicCtx(platform, request), request.body.refreshToken),
    })

    app.post('/auth/logout', {
      schema: {
        tags,
        summary: 'Log out of this session, or of all sessions',
        body: LogoutBody,
        response: { 204: Type.Null({ description: 'Logged out' }), ...errorResponses(400) },
      },
      // The body is optional: a bare POST logs out of this session.
      preValidation: async (request) => {
        request.body ??= {}
      },
      handler: async (request, reply) => {
        await logout(request.ctx, request.body)
        void reply.code(204)
        return null
      },
    })

    app.get('/auth/me', {
      schema: {
        tags,
        summary: 'The signed-in user, the active organization, the role there and its permissions',
        response: { 200: MeResponse },
      },
      handler: async (request) => me(request.ctx),
    })

    app.post('/auth/switch-organization', {
      schema: {
        tags,
        summary: 'Switch the session to another organization the user belongs to',
        description: 'Returns new tokens for that organization; the previous refresh token of this session stops working.',
        body: SwitchBody,
        response: { 200: AuthResultSchema, ...errorResponses(400, 404) },
      },
      handler: async (request) => switchOrganization(request.ctx, request.body),
    })
  }
