// Schemas of API keys.
import { Type, type Static } from 'typebox'
import { ALL_PERMISSIONS } from '../../../platform/auth/permissions.js'
import { Nullable, Obj, Timestamp, Uuid } from '../../../platform/http/schemas.js'

export const PermissionSchema = Type.Enum([...ALL_PERMISSIONS], { examples: ['members:read'] })

export const ApiKeySchema = Obj(
  {
    id: Uuid,
    name: Type.String({ examples: ['Zapier'] }),
    prefix: Type.String({ description: 'Start and end of the key, to recognise it', examples: ['lum_0193a7e2…9xQk'] }),
    permissions: Type.Array(PermissionSchema),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    lastUsedAt: Nullable(Timestamp),
    expiresAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
    status: Type.Enum(['active', 'expired', 'revoked']),
  },
  { title: 'ApiKey' },
)
export type ApiKeyDto = Static<typeof ApiKeySchema>

export const CreatedApiKeySchema = Obj(
  {
    ...ApiKeySchema.properties,
    key: Type.String({ description: 'The secret, shown only in this response. Send it as X-API-Key.' }),
  },
  { title: 'CreatedApiKey' },
)
export type CreatedApiKeyDto = Static<typeof CreatedApiKeySchema>

export const ApiKeyCreateSchema = Obj(
  {
    name: Type.String({ minLength: 1, maxLength: 100, examples: ['Zapier'] }),
    permissions: Type.Array(PermissionSchema, { minItems: 1, uniqueItems: true, examples: [['members:read', 'organization:read']] }),
    expiresAt: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'When the key stops working; null or absent: never' }))),
  },
  { title: 'ApiKeyCreate' },
)
export type ApiKeyCreate = Static<typeof ApiKeyCreateSchema>
