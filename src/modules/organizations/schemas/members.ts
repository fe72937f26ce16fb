// Schemas of members and roles.
import { Type, type Static } from 'typebox'
import { ROLES } from '../../../platform/auth/permissions.js'
import { Email, Obj, Timestamp, Uuid } from '../../../platform/http/schemas.js'

export const RoleSchema = Type.Enum([...ROLES], {
  description: 'owner > admin > manager > agent > viewer; see docs/permissions.md',
  examples: ['agent'],
})

export const MemberSchema = Obj(
  {
    userId: Uuid,
    email: Email,
    firstName: Type.String({ examples: ['Ada'] }),
    lastName: Type.String({ examples: ['Lovelace'] }),
    role: RoleSchema,
    joinedAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Member' },
)
export type MemberDto = Static<typeof MemberSchema>

export const UserIdParams = Obj({ userId: Uuid })

export const RoleChangeSchema = Obj({ role: RoleSchema }, { title: 'MemberRoleChange' })
