// The business profile of the current organization (seed 002 Feature 2): name, description, address,
// country (ISO 3166-1), currency (ISO 4217) and time zone (IANA). Logo changes are in logo.ts.
import { audit, diff } from '../../../platform/audit.js'
import type { Ctx } from '../../../platform/context.js'
import { ForbiddenError, NotFoundError, ValidationError, type ErrorDetail } from '../../../platform/errors.js'
import { publish, rooms } from '../../../platform/events/outbox.js'
import { COUNTRIES, CURRENCIES, isTimeZone } from '../iso.js'
import { list, type ListParams, type ListResult } from '../../../platform/http/lists.js'
import { myMembershipsQuery } from '../queries/members.js'
import { findOrganization, lockOrganization, updateOrganization, type OrganizationPatch } from '../queries/organizations.js'
import type { MyOrganizationDto, OrganizationDto, ProfileUpdate } from '../schemas/organization.js'
import { myOrganizationList } from './lists.js'
import { profileOf, toOrganizationDto, type Profile } from './organization-dto.js'

export async function getCurrentOrganization(ctx: Ctx): Promise<OrganizationDto> {
  const row = await findOrganization(ctx.db, ctx.orgId)
  if (!row) throw new NotFoundError('Organization')
  return toOrganizationDto(ctx, row)
}

/** Trims text; blank optional text means "not set". Codes are upper-cased before checking the lists. */
function normalize(input: ProfileUpdate): Partial<Profile> {
  const details: ErrorDetail[] = []
  const out: Partial<Profile> = {}
  const optionalText = (v: string | null | undefined) => (v === undefined ? undefined : v === null || !v.trim() ? null : v.trim())

  if (input.name !== undefined) {
    if (!input.name.trim()) details.push({ path: 'name', message: 'must not be blank' })
    else out.name = input.name.trim()
  }
  for (const key of ['description', 'address', 'city', 'state', 'zipCode'] as const) {
    const v = optionalText(input[key])
    if (v !== undefined) out[key] = v
  }
  if (input.country !== undefined) {
    const c = optionalText(input.country)?.toUpperCase() ?? null
    if (c !== null && !COUNTRIES.has(c)) details.push({ path: 'country', message: 'must be an ISO 3166-1 alpha-2 country code, such as US or DE' })
    else out.country = c
  }
  if (input.currency !== undefined) {
    const c = input.currency.trim().toUpperCase()
    if (!CURRENCIES.has(c)) details.push({ path: 'currency', message: 'must be an ISO 4217 currency code, such as USD or EUR' })
    else out.currency = c
  }
  if (input.timezone !== undefined) {
    const tz = input.timezone.trim()
    if (!isTimeZone(tz)) details.push({ path: 'timezone', message: 'must be an IANA time zone, such as UTC or America/New_York' })
    else out.timezone = tz
  }
  if (details.length) throw new ValidationError('Invalid organization profile', details)
  return out
}

const toColumns = (p: Partial<Profile>): OrganizationPatch => {
  const { zipCode, ...rest } = p
  return { ...rest, ...(zipCode !== undefined ? { zip_code: zipCode } : {}) }
}

/** PATCH semantics for both PUT and PATCH: omitted fields keep their value. */
export async function updateCurrentOrganization(ctx: Ctx, input: ProfileUpdate): Promise<OrganizationDto> {
  const patch = normalize(input)
  const before = await lockOrganization(ctx.db, ctx.orgId)
  if (!before) throw new NotFoundError('Organization')
  const changes = diff(profileOf(before), patch)
  if (Object.keys(changes).length === 0) return toOrganizationDto(ctx, before)
  const changed = Object.fromEntries(Object.keys(changes).map((k) => [k, patch[k as keyof Profile]])) as Partial<Profile>
  const after = await updateOrganization(ctx.db, ctx.orgId, toColumns(changed))
  await audit(ctx, { entity: 'organization', entityId: ctx.orgId, action: 'updated', changes })
  const dto = await toOrganizationDto(ctx, after)
  await publish(ctx, { type: 'organization.updated', aggregate: 'organization', aggregateId: ctx.orgId, rooms: [rooms.org(ctx.orgId)], payload: dto })
  return dto
}

/** The organizations the signed-in user belongs to, for the organization switcher. */
export function myOrganizations(ctx: Ctx, params: ListParams): Promise<ListResult<MyOrganizationDto>> {
  if (!ctx.userId) throw new ForbiddenError('This needs a signed-in user, not an API key', 'user_required')
  return list(ctx, myMembershipsQuery(ctx.db, ctx.userId), myOrganizationList, params, (r) => ({
    id: r.org_id,
    name: r.name,
    slug: r.slug,
    role: r.role,
    joinedAt: r.created_at.toISOString(),
    current: r.org_id === ctx.orgId,
  }))
}
