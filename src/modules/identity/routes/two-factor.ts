// TOTP two-factor authentication of the signed-in user: status, enrol, confirm, disable, new recovery codes.
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses, Nullable, Obj, Timestamp } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import {
  confirmTwoFactor,
  disableTwoFactor,
  enrollTwoFactor,
  getTwoFactorStatus,
  RECOVERY_CODE_COUNT,
  regenerateRecoveryCodes,
} from '../service/two-factor.js'

const tags = ['Two-factor authentication']

const CodeBody = Obj({
  code: Type.String({
    minLength: 6,
    maxLength: 32,
    description: 'A 6-digit code from the authenticator app, or (where allowed) an unused recovery code',
    examples: ['123456', '7k2m-9q4r-x8vt-3n6p'],
  }),
})

const TwoFactorStatus = Type.Object({
  enabled: Type.Boolean(),
  pendingEnrollment: Type.Boolean({ description: 'Enrolment started and awaiting its confirming code' }),
  enabledAt: Nullable(Timestamp),
  recoveryCodesRemaining: Type.Integer({ minimum: 0 }),
})

const RecoveryCodes = Type.Array(Type.String({ examples: ['7k2m-9q4r-x8vt-3n6p'] }), {
  minItems: RECOVERY_CODE_COUNT,
  maxItems: RECOVERY_CODE_COUNT,
  description: 'One-time codes, shown only now; each replaces one authenticator code once',
})

const Enrollment = Type.Object({
  secret: Type.String({ description: 'Base32 secret, for typing into an authenticator by hand', examples: ['JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'] }),
  otpauthUri: Type.String({ examples: ['otpauth://totp/Luminous:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Luminous'] }),
  qrCode: Type.String({ description: 'The otpauth URI as a PNG QR code (data URL)', examples: ['data:image/png;base64,iVBORw0KGgo...'] }),
})

export const twoFactorRoutes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/auth/2fa', {
      schema: {
        tags,
        summary: 'Two-factor status of the signed-in user',
        response: { 200: TwoFactorStatus, ...errorResponses(401, 403) },
      },
      handler: async (request) => getTwoFactorStatus(request.ctx),
    })

    app.post('/auth/2fa/enroll', {
      schema: {
        tags,
        summary: 'Start TOTP enrolment',
        description:
          'Issues a new secret (encrypted at rest) with its otpauth URI and QR code. Two-factor stays off until ' +
          '`/auth/2fa/confirm` receives a code from it; enrolling again before that replaces the secret. The body is empty.',
        body: Obj({}, { description: 'No input: send no body or an empty object' }),
        response: { 200: Enrollment, ...errorResponses(400, 401, 403, 409) },
      },
      preValidation: async (request) => {
        request.body ??= {}
      },
      handler: async (request) => enrollTwoFactor(request.ctx),
    })

    app.post('/auth/2fa/confirm', {
      schema: {
        tags,
        summary: 'Turn two-factor on with a first code',
        description: `Checks a code from the authenticator and turns two-factor on. Answers ${RECOVERY_CODE_COUNT} recovery codes, shown only this once.`,
        body: CodeBody,
        response: {
          200: Type.Object({ enabled: Type.Literal(true), enabledAt: Timestamp, recoveryCodes: RecoveryCodes }),
          ...errorResponses(400, 401, 403, 409, 422),
        },
      },
      handler: async (request) => ({ enabled: true as const, ...(await confirmTwoFactor(request.ctx, request.body)) }),
    })

    app.post('/auth/2fa/disable', {
      schema: {
        tags,
        summary: 'Turn two-factor off',
        description: 'Needs a current authenticator code or an unused recovery code. Five wrong codes in a row pause this for 15 minutes.',
        body: CodeBody,
        response: { 200: TwoFactorStatus, ...errorResponses(400, 401, 403, 422, 429) },
      },
      handler: async (request) => disableTwoFactor(request.ctx, request.body),
    })

    app.post('/auth/2fa/recovery-codes', {
      schema: {
        tags,
        summary: 'Replace the recovery codes',
        description: 'Needs a current authenticator code or an unused recovery code; the old recovery codes stop working.',
        body: CodeBody,
        response: { 200: Type.Object({ recoveryCodes: RecoveryCodes }), ...errorResponses(400, 401, 403, 422, 429) },
      },
      handler: async (request) => regenerateRecoveryCodes(request.ctx, request.body),
    })
  }
