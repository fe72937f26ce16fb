// The organization DTO, shared by the profile and logo services.
import type { Ctx } from '../../../platform/context.js'
import { optionalFileUrl } from '../../files/index.js'
import type { OrganizationDto } from '../schemas/organization.js'
import type { OrganizationsTable } from '../tables.js'

export type OrganizationRow = Omit<OrganizationsTable, 'currency' | 'timezone' | 'created_at' | 'updated_at'> & {
  currency: string
  timezone: string
  created_at: Date
  updated_at: Date
}

/** The profile fields as the API names them, for diffs in the audit log. */
export function profileOf(row: OrganizationRow) {
  return {
    name: row.name,
    description: row.description,
    address: row.address,
    city: row.city,
    state: row.state,
    zipCode: row.zip_code,
    country: row.country,
    currency: row.currency,
    timezone: row.timezone,
  }
}
export type Profile = ReturnType<typeof profileOf>

export async function toOrganizationDto(ctx: Ctx, row: OrganizationRow): Promise<OrganizationDto> {
  return {
    id: row.id,
    slug: row.slug,
    ...profileOf(row),
    logo: await logoUrl(ctx, row.logo_file_id),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export const logoUrl = optionalFileUrl
