// The signed-in user's own account: profile, avatar and account deletion.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { errorResponses, Nullable, Obj } from '../../../platform/http/schemas.js'
import type { Platform } from '../../../platform/platform.js'
import { UserSchema } from '../schemas.js'
import { ValidationError } from '../../../platform/errors.js'
import { multipartBody, multipartValidator } from '../../files/index.js'
import { deleteAccount } from '../service/account-deletion.js'
import { AVATAR_MAX_BYTES, AVATAR_MAX_SIDE, removeAvatar, uploadAvatar } from '../service/avatar.js'
import { getProfile, MAX_SETTINGS_BYTES, updateProfile } from '../service/profile.js'

const tags = ['Users']

const ProfileBody = Obj(
  {
    firstName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['Ada'] })),
    lastName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['Lovelace'] })),
    phoneNumber: Type.Optional(
      Nullable(Type.String({ minLength: 1, maxLength: 40, description: 'E.164, or a common international form; null removes it', examples: ['+14155552671'] })),
    ),
    locale: Type.Optional(Type.String({ minLength: 1, maxLength: 35, description: 'BCP 47 language tag', examples: ['pt-BR'] })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone', examples: ['America/Sao_Paulo'] })),
    settings: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Unknown(), {
        maxProperties: 200,
        description: `Merged into the stored settings key by key; a key set to null is removed. At most ${MAX_SETTINGS_BYTES} bytes once merged.`,
        examples: [{ theme: 'dark', notifications: { email: false } }],
      }),
    ),
  },
  { minProperties: 1, examples: [{ firstName: 'Ada', timezone: 'Europe/London', settings: { theme: 'dark' } }] },
)

const DeleteBody = Obj({
  password: Type.String({ minLength: 1, maxLength: 1024, description: 'The current password' }),
  code: Type.Optional(
    Type.String({ minLength: 6, maxLength: 32, description: 'Needed while two-factor authentication is on: an authenticator or recovery code' }),
  ),
})

export const meRoutes =
  (_platform: Platform): FastifyPluginAsync =>
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/users/me', {
      schema: { tags, summary: 'Your profile', response: { 200: UserSchema, ...errorResponses(401, 403) } },
      handler: async (request) => getProfile(request.ctx),
    })

    const update = {
      schema: {
        tags,
        body: ProfileBody,
        response: { 200: UserSchema, ...errorResponses(400, 401, 403) },
      },
    }
    app.patch('/users/me', {
      ...update,
      schema: {
        ...update.schema,
        summary: 'Change your profile',
        description:
          'Partial update: names, phone number (stored in E.164), locale (BCP 47), timezone (IANA) and settings (merged shallowly). ' +
          'Unknown fields are a 400.',
      },
      handler: async (request) => updateProfile(request.ctx, request.body),
    })
    app.put('/users/me', {
      ...update,
      schema: { ...update.schema, summary: 'Change your profile (same as PATCH)', description: 'Kept for clients written against `PUT /api/users/me`; fields left out keep their value.' },
      handler: async (request) => updateProfile(request.ctx, request.body),
    })

    app.post('/users/me/avatar', {
      config: { transaction: false },
      validatorCompiler: multipartValidator,
      schema: {
        tags,
        summary: 'Upload your avatar',
        description:
          `Multipart upload of one \`file\` part: a JPEG, PNG, GIF, WebP, AVIF or TIFF image of at most ${AVATAR_MAX_BYTES / (1024 * 1024)} MB, ` +
          `recognised by its bytes (415 otherwise; 413 when larger). Stored as WebP within ${AVATAR_MAX_SIDE}×${AVATAR_MAX_SIDE}; ` +
          'the previous avatar is removed. Answers your profile with a fresh signed `avatarUrl`.',
        ...multipartBody('The image'),
        response: { 200: UserSchema, ...errorResponses(400, 401, 403, 413, 415) },
      },
      handler: async (request) => {
        const part = await request.file({ limits: { fileSize: AVATAR_MAX_BYTES + 1, files: 1, fields: 5, fieldSize: 1024 } })
        if (!part) throw ValidationError.field('file', 'is required')
        if (part.fieldname !== 'file') throw ValidationError.field(part.fieldname, 'is not a known field; send the image as `file`')
        return uploadAvatar(request.ctx, part)
      },
    })

    app.delete('/users/me/avatar', {
      schema: {
        tags,
        summary: 'Remove your avatar',
        response: { 204: Type.Null({ description: 'Removed (or there was none)' }), ...errorResponses(401, 403) },
      },
      handler: async (request, reply) => {
        await removeAvatar(request.ctx)
        void reply.code(204)
        return null
      },
    })

    app.delete('/users/me', {
      schema: {
        tags,
        summary: 'Delete your account',
        description:
          'Erases your personal data (name, e-mail, phone, avatar, settings, two-factor), ends every session and removes you ' +
          'from every organization, in one transaction. Refused with 422 `ownership_transfer_required` while you are the only ' +
          'owner of an organization; the details name each one.',
        body: DeleteBody,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 422, 429) },
      },
      handler: async (request, reply) => {
        await deleteAccount(request.ctx, request.body)
        void reply.code(204)
        return null
      },
    })
  }
