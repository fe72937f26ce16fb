// Schemas of teams.
import { Type, type Static } from 'typebox'
import { Email, Nullable, Obj, Timestamp, Uuid } from '../../../platform/http/schemas.js'
import { RoleSchema } from './members.js'

const TeamName = Type.String({ minLength: 1, maxLength: 100, examples: ['Support'] })
const TeamDescription = Nullable(Type.String({ maxLength: 1000, examples: ['First-line customer support'] }))
const MemberIds = Type.Array(Uuid, { maxItems: 500, uniqueItems: true, description: 'User ids of organization members' })

export const TeamSchema = Obj(
  {
    id: Uuid,
    name: Type.String(),
    description: Nullable(Type.String()),
    memberCount: Type.Integer({ minimum: 0 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Team' },
)
export type TeamDto = Static<typeof TeamSchema>

export const TeamMemberSchema = Obj(
  { userId: Uuid, email: Email, firstName: Type.String(), lastName: Type.String(), role: RoleSchema, addedAt: Timestamp },
  { title: 'TeamMember' },
)

export const TeamDetailSchema = Obj(
  { ...TeamSchema.properties, members: Type.Array(TeamMemberSchema) },
  { title: 'TeamDetail' },
)
export type TeamDetailDto = Static<typeof TeamDetailSchema>

export const TeamCreateSchema = Obj(
  { name: TeamName, description: Type.Optional(TeamDescription), memberIds: Type.Optional(MemberIds) },
  { title: 'TeamCreate' },
)
export type TeamCreate = Static<typeof TeamCreateSchema>

export const TeamUpdateSchema = Obj(
  { name: Type.Optional(TeamName), description: Type.Optional(TeamDescription) },
  { title: 'TeamUpdate', minProperties: 1 },
)
export type TeamUpdate = Static<typeof TeamUpdateSchema>

export const TeamMembersSetSchema = Obj({ userIds: MemberIds }, { title: 'TeamMembersSet' })

export const TeamMemberParams = Obj({ id: Uuid, userId: Uuid })
