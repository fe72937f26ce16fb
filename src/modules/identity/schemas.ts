// TypeBox schemas of the identity module: the user DTO, tokens, and the bodies of the auth routes.
import { Type, type Static } from 'typebox'
import { ROLES } from '../../platform/auth/permissions.js'
import { Email, Nullable, Obj, Timestamp, Uuid } from '../../platform/http/schemas.js'
import type { UsersRow } from './tables.js'

export const UserSchema = Type.Object(
  {
    id: Uuid,
    email: Email,
    firstName: Type.String({ examples: ['Ada'] }),
    lastName: Type.String({ examples: ['Lovelace'] }),
    phoneNumber: Nullable(Type.String({ description: 'E.164', examples: ['+14155552671'] })),
    emailVerified: Type.Boolean(),
    locale: Type.String({ examples: ['en'] }),
    timezone: Type.String({ examples: ['UTC'] }),
    settings: Type.Record(Type.String(), Type.Unknown()),
    avatarUrl: Nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'User' },
)
export type User = Static<typeof UserSchema>

/** The user DTO. `avatarUrl` is resolved by whoever knows the file (a signed URL), null otherwise. */
export function toUser(row: UsersRow, avatarUrl: string | null = null): User {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    phoneNumber: row.phone_number,
    emailVerified: row.email_verified_at !== null,
    locale: row.locale,
    timezone: row.timezone,
    settings: row.settings,
    avatarUrl,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export const RoleSchema = Type.Union(
  [Type.Literal('owner'), Type.Literal('admin'), Type.Literal('manager'), Type.Literal('agent'), Type.Literal('viewer')],
  { examples: ['owner'] },
)
// Fails to compile when a role is added to the matrix and not here.
const _everyRole: Static<typeof RoleSchema>[] = [...ROLES]

export const OrganizationSummarySchema = Type.Object(
  {
    id: Uuid,
    name: Type.String({ examples: ['Acme Coffee'] }),
    slug: Type.String({ examples: ['acme-coffee'] }),
  },
  { title: 'OrganizationSummary' },
)
export type OrganizationSummary = Static<typeof OrganizationSummarySchema>

export const AuthTokensSchema = Type.Object(
  {
    accessToken: Type.String({ description: 'Short-lived JWT for `Authorization: Bearer`' }),
    refreshToken: Type.String({ description: 'Single-use; exchange at /api/v1/auth/refresh for a new pair' }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires', examples: [900] }),
    expiresAt: Timestamp,
    refreshExpiresAt: Timestamp,
  },
  { title: 'AuthTokens' },
)
export type AuthTokens = Static<typeof AuthTokensSchema>

/** What register, login, refresh and switch-organization answer. */
export const AuthResultSchema = Type.Object(
  {
    user: UserSchema,
    organization: OrganizationSummarySchema,
    role: RoleSchema,
    tokens: AuthTokensSchema,
    accessToken: Type.String({ description: 'Same as tokens.accessToken, for clients that read it at the top level' }),
    refreshToken: Type.String({ description: 'Same as tokens.refreshToken' }),
  },
  { title: 'AuthResult' },
)

export const RegisterBody = Obj(
  {
    firstName: Type.String({ minLength: 1, maxLength: 100, examples: ['Ada'] }),
    lastName: Type.String({ minLength: 1, maxLength: 100, examples: ['Lovelace'] }),
    businessName: Type.String({ minLength: 1, maxLength: 200, examples: ['Acme Coffee'] }),
    email: Email,
    phoneNumber: Type.String({ minLength: 1, maxLength: 40, description: 'E.164, or a common national form', examples: ['+14155552671'] }),
    password: Type.String({ maxLength: 1024, description: '10–128 characters, not a common password, not your e-mail' }),
    confirmPassword: Type.String({ maxLength: 1024 }),
  },
  {
    examples: [
      {
        firstName: 'Ada',
        lastName: 'Lovelace',
        businessName: 'Acme Coffee',
        email: 'ada@example.com',
        phoneNumber: '+14155552671',
        password: 'correct horse battery staple',
        confirmPassword: 'correct horse battery staple',
      },
    ],
  },
)
export type RegisterInput = Static<typeof RegisterBody>

export const LoginBody = Obj(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    code: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'While two-factor authentication is on: a 6-digit authenticator code or an unused recovery code' }),
    ),
  },
  { examples: [{ email: 'ada@example.com', password: 'correct horse battery staple' }] },
)
export type LoginInput = Static<typeof LoginBody>
