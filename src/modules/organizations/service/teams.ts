// Teams: named groups of organization members, used later for assignment (conversations, leads).
// Only members of the organization can be in a team; removing a member drops them from its teams.
import { audit, diff } from '../../../platform/audit.js'
import type { Ctx } from '../../../platform/context.js'
import { ConflictError, NotFoundError, ValidationError } from '../../../platform/errors.js'
import {
  addTeamMembers,
  deleteTeam,
  existingMembers,
  findTeam,
  insertTeam,
  lockTeam,
  removeTeamMembers,
  teamMemberIds,
  teamMembers,
  teamNameTaken,
  teamsQuery,
  updateTeam,
  type TeamRow,
} from '../queries/teams.js'
import { isUniqueViolation } from '../queries/pg-errors.js'
import { list, type ListParams, type ListResult } from '../../../platform/http/lists.js'
import { teamList } from './lists.js'
import type { TeamCreate, TeamDetailDto, TeamDto, TeamUpdate } from '../schemas/teams.js'

export function toTeamDto(row: TeamRow): TeamDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    memberCount: Number(row.member_count ?? 0),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

async function detail(ctx: Ctx, id: string): Promise<TeamDetailDto> {
  const row = await findTeam(ctx.db, ctx.orgId, id)
  if (!row) throw new NotFoundError('Team')
  const members = await teamMembers(ctx.db, ctx.orgId, id)
  return {
    ...toTeamDto(row),
    members: members.map((m) => ({
      userId: m.user_id,
      email: m.email,
      firstName: m.first_name,
      lastName: m.last_name,
      role: m.role,
      addedAt: m.created_at.toISOString(),
    })),
  }
}

export function listTeams(ctx: Ctx, params: ListParams): Promise<ListResult<TeamDto>> {
  return list(ctx, teamsQuery(ctx.db, ctx.orgId), teamList, params, toTeamDto)
}

export const getTeam = (ctx: Ctx, id: string): Promise<TeamDetailDto> => detail(ctx, id)

function cleanName(name: string, path = 'name'): string {
  const trimmed = name.trim()
  if (!trimmed) throw ValidationError.field(path, 'must not be blank')
  return trimmed
}

const cleanDescription = (d: string | null | undefined): string | null => (d?.trim() ? d.trim() : null)

const nameTaken = (name: string) =>
  new ConflictError(`A team named "${name}" already exists`, 'team_name_taken', [{ path: 'name', message: 'is already used by another team' }])

async function assertNameFree(ctx: Ctx, name: string, exceptId?: string): Promise<void> {
  if (await teamNameTaken(ctx.db, ctx.orgId, name, exceptId)) throw nameTaken(name)
}

/** A concurrent request may take the name between our check and our write. */
async function mappingNameRace<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (isUniqueViolation(err, 'teams_org_id_name_key')) throw nameTaken(name)
    throw err
  }
}

/** Refuses ids that are not members of this organization, naming each by its position. */
async function assertMembers(ctx: Ctx, userIds: readonly string[], path: string): Promise<void> {
  const found = await existingMembers(ctx.db, ctx.orgId, userIds)
  const details = userIds.flatMap((id, i) => (found.has(id) ? [] : [{ path: `${path}.${i}`, message: 'is not a member of this organization' }]))
  if (details.length) throw new ValidationError('Only members of the organization can be in its teams', details)
}

export async function createTeam(ctx: Ctx, input: TeamCreate): Promise<TeamDetailDto> {
  const name = cleanName(input.name)
  const description = cleanDescription(input.description)
  const memberIds = input.memberIds ?? []
  await assertMembers(ctx, memberIds, 'memberIds')
  await assertNameFree(ctx, name)
  const { id } = await mappingNameRace(name, () => insertTeam(ctx.db, { org_id: ctx.orgId, name, description }))
  await addTeamMembers(ctx.db, ctx.orgId, id, memberIds)
  await audit(ctx, { entity: 'team', entityId: id, action: 'created', changes: { name, description, memberIds } })
  return detail(ctx, id)
}

export async function updateTeamProfile(ctx: Ctx, id: string, input: TeamUpdate): Promise<TeamDetailDto> {
  if (!(await lockTeam(ctx.db, ctx.orgId, id))) throw new NotFoundError('Team')
  const before = await findTeam(ctx.db, ctx.orgId, id)
  if (!before) throw new NotFoundError('Team')
  const patch: { name?: string; description?: string | null } = {}
  if (input.name !== undefined) patch.name = cleanName(input.name)
  if (input.description !== undefined) patch.description = cleanDescription(input.description)
  const changes = diff({ name: before.name, description: before.description }, patch)
  if (Object.keys(changes).length === 0) return detail(ctx, id)
  if (patch.name !== undefined && patch.name.toLowerCase() !== before.name.toLowerCase()) await assertNameFree(ctx, patch.name, id)
  await mappingNameRace(patch.name ?? before.name, () => updateTeam(ctx.db, ctx.orgId, id, patch))
  await audit(ctx, { entity: 'team', entityId: id, action: 'updated', changes })
  return detail(ctx, id)
}

export async function removeTeam(ctx: Ctx, id: string): Promise<void> {
  const team = await findTeam(ctx.db, ctx.orgId, id)
  if (!team) throw new NotFoundError('Team')
  const memberIds = await teamMemberIds(ctx.db, ctx.orgId, id)
  await deleteTeam(ctx.db, ctx.orgId, id)
  await audit(ctx, { entity: 'team', entityId: id, action: 'deleted', changes: { name: team.name, description: team.description, memberIds } })
}

/** Makes the team's members exactly `userIds`. */
export async function setTeamMembers(ctx: Ctx, id: string, userIds: readonly string[]): Promise<TeamDetailDto> {
  if (!(await lockTeam(ctx.db, ctx.orgId, id))) throw new NotFoundError('Team')
  await assertMembers(ctx, userIds, 'userIds')
  const current = await teamMemberIds(ctx.db, ctx.orgId, id)
  const wanted = new Set(userIds)
  const added = await addTeamMembers(ctx.db, ctx.orgId, id, userIds.filter((u) => !current.includes(u)))
  const removed = await removeTeamMembers(ctx.db, ctx.orgId, id, current.filter((u) => !wanted.has(u)))
  if (added.length || removed.length) {
    await audit(ctx, { entity: 'team', entityId: id, action: 'members_set', changes: { added, removed } })
  }
  return detail(ctx, id)
}

export async function addTeamMember(ctx: Ctx, id: string, userId: string): Promise<TeamDetailDto> {
  if (!(await lockTeam(ctx.db, ctx.orgId, id))) throw new NotFoundError('Team')
  if (!(await existingMembers(ctx.db, ctx.orgId, [userId])).has(userId)) throw new NotFoundError('Member')
  const added = await addTeamMembers(ctx.db, ctx.orgId, id, [userId])
  if (added.length) await audit(ctx, { entity: 'team', entityId: id, action: 'member_added', changes: { added } })
  return detail(ctx, id)
}

export async function removeTeamMember(ctx: Ctx, id: string, userId: string): Promise<void> {
  if (!(await lockTeam(ctx.db, ctx.orgId, id))) throw new NotFoundError('Team')
  const removed = await removeTeamMembers(ctx.db, ctx.orgId, id, [userId])
  if (!removed.length) throw new NotFoundError('Team member')
  await audit(ctx, { entity: 'team', entityId: id, action: 'member_removed', changes: { removed } })
}
