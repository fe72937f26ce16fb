// Forgot, reset and change password; verify the e-mail address and resend its link.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { publicCtx } from '../../../platform/http/guard.js'
import { Email, errorResponses, Obj } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../password.js'
import { resendVerification, verifyEmail } from '../service/email-verification.js'
import { changePassword, forgotPassword, resetPassword } from '../service/passwords.js'
import { authRateLimit } from './auth.js'

const tags = ['Authentication']

const Message = Type.Object({ message: Type.String() })
const Token = Type.String({ minLength: 1, maxLength: 256, description: 'The token from the e-mailed link' })
const NewPassword = Type.String({
  maxLength: 1024,
  description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters, not a common password, not your e-mail`,
})

export const passwordRoutes =
  (platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    const limited = { auth: 'none' as const, rateLimit: authRateLimit(platform) }

    app.post('/auth/forgot-password', {
      config: limited,
      schema: {
        tags,
        summary: 'E-mail a password-reset link',
        description:
          'Always answers 202, whether or not an account uses the address. The link carries a single-use token that ' +
          'expires in an hour: `PUBLIC_URL/reset-password?token=...`.',
        body: Obj({ email: Email }, { examples: [{ email: 'ada@example.com' }] }),
        response: { 202: Message, ...errorResponses(400, 429) },
      },
      handler: async (request, reply) => {
        const result = await forgotPassword(publicCtx(platform, request), request.body)
        void reply.code(202)
        return result
      },
    })

    app.post('/auth/reset-password', {
      config: limited,
      schema: {
        tags,
        summary: 'Set a new password with an e-mailed reset token',
        description: 'Uses the token once, applies the password policy, and signs the account out everywhere.',
        body: Obj(
          { token: Token, newPassword: NewPassword, confirmPassword: Type.Optional(Type.String({ maxLength: 1024 })) },
          { examples: [{ token: 'q3Xv...', newPassword: 'a long new passphrase', confirmPassword: 'a long new passphrase' }] },
        ),
        response: { 200: Message, ...errorResponses(400, 429) },
      },
      handler: async (request) => resetPassword(publicCtx(platform, request), request.body),
    })

    app.post('/auth/change-password', {
      config: { rateLimit: authRateLimit(platform) },
      schema: {
        tags,
        summary: 'Change the password (requires the current one)',
        description: "Signs out the user's other sessions; this one stays. Wrong current passwords count like failed log-ins.",
        body: Obj({ currentPassword: Type.String({ minLength: 1, maxLength: 1024 }), newPassword: NewPassword, confirmPassword: Type.Optional(Type.String({ maxLength: 1024 })) }),
        response: { 200: Type.Object({ message: Type.String(), revokedSessions: Type.Integer({ minimum: 0 }) }), ...errorResponses(400, 429) },
      },
      handler: async (request) => changePassword(request.ctx, request.body),
    })

    app.post('/auth/verify-email', {
      config: limited,
      schema: {
        tags,
        summary: 'Confirm the e-mail address with the token from the verification link',
        body: Obj({ token: Token }),
        response: { 200: Type.Object({ email: Email, emailVerified: Type.Literal(true) }), ...errorResponses(400, 429) },
      },
      handler: async (request) => verifyEmail(publicCtx(platform, request), request.body.token),
    })

    app.post('/auth/resend-verification', {
      config: { rateLimit: authRateLimit(platform) },
      schema: {
        tags,
        summary: 'Send the e-mail verification link again',
        description: 'At most one per minute; 422 `already_verified` once the address is confirmed. The body is empty.',
        body: Obj({}),
        response: { 202: Message, ...errorResponses(400, 422, 429) },
      },
      preValidation: async (request) => {
        request.body ??= {}
      },
      handler: async (request, reply) => {
        const result = await resendVerification(request.ctx)
        void reply.code(202)
        return result
      },
    })
  }
