// Schemas of invitations.
import { Type, type Static } from 'typebox'
import { Email, Nullable, Obj, Timestamp, Uuid } from '../../../platform/http/schemas.js'
import type { Role } from '../../../platform/auth/permissions.js'
import { AuthTokensSchema, UserSchema, type AuthTokens, type User } from '../../identity/index.js'
import { RoleSchema } from './members.js'

export const InvitationStatusSchema = Type.Enum(['pending', 'accepted', 'revoked', 'expired'])

export const InvitationSchema = Obj(
  {
    id: Uuid,
    email: Email,
    role: RoleSchema,
    status: InvitationStatusSchema,
    invitedBy: Nullable(Uuid),
    expiresAt: Timestamp,
    sentAt: Timestamp,
    acceptedAt: Nullable(Timestamp),
    acceptedBy: Nullable(Uuid),
    revokedAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { title: 'Invitation' },
)
export type InvitationDto = Static<typeof InvitationSchema>

export const InvitationCreateSchema = Obj(
  { email: Email, role: RoleSchema },
  { title: 'InvitationCreate', examples: [{ email: 'grace@example.com', role: 'agent' }] },
)
export type InvitationCreate = Static<typeof InvitationCreateSchema>

const Token = Type.String({ minLength: 16, maxLength: 200, description: 'The token from the invitation e-mail' })

export const LookupQuery = Obj({ token: Token })

export const InvitationLookupSchema = Obj(
  {
    organization: Obj({ name: Type.String({ examples: ['Acme Coffee'] }), slug: Type.String({ examples: ['acme-coffee'] }) }),
    inviter: Nullable(Obj({ firstName: Type.String(), lastName: Type.String() })),
    email: Email,
    role: RoleSchema,
    expiresAt: Timestamp,
    accountExists: Type.Boolean({
      description: 'True: sign in as this address and accept with the Bearer token. False: accept with firstName, lastName and password.',
    }),
  },
  { title: 'InvitationLookup' },
)
export type InvitationLookupDto = Static<typeof InvitationLookupSchema>

export const InvitationAcceptSchema = Obj(
  {
    token: Token,
    firstName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['Grace'] })),
    lastName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['Hopper'] })),
    password: Type.Optional(Type.String({ maxLength: 1024, description: 'For a new account: 10–128 characters, not common, not the e-mail' })),
  },
  {
    title: 'InvitationAccept',
    description:
      'For an address without an account: firstName, lastName and password create it. For an existing account: sign in as that ' +
      'account and send its access token as Bearer; the other fields are then not used.',
  },
)
export type InvitationAccept = Static<typeof InvitationAcceptSchema>

// Built on first use rather than at import: identity and organizations import each other, and
// identity's schemas may not be initialized yet while this file is first evaluated.
export const acceptResultSchema = () =>
  Obj(
    {
      user: UserSchema,
      organization: Obj({ id: Uuid, name: Type.String(), slug: Type.String() }),
      role: RoleSchema,
      tokens: AuthTokensSchema,
      accessToken: Type.String({ description: 'Same as tokens.accessToken' }),
      refreshToken: Type.String({ description: 'Same as tokens.refreshToken' }),
    },
    { title: 'InvitationAccepted' },
  )

export interface AcceptResultDto {
  user: User
  organization: { id: string; name: string; slug: string }
  role: Role
  tokens: AuthTokens
  accessToken: string
  refreshToken: string
}
