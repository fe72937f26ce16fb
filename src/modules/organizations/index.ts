// Organizations: the tenants of Luminous — business profile and logo, memberships and roles,
// invitations, teams and API keys. Identity creates an organization at sign-up through here and reads
// memberships to issue tokens and switch organizations.
import type { Role } from '../../platform/auth/permissions.js'
import type { Executor } from '../../platform/db/database.js'
import { ConflictError } from '../../platform/errors.js'
import type { Module } from '../index.js'
import { findMembership, insertMembership, membershipsOfUser } from './queries/members.js'
import { insertOrganizationIfSlugFree } from './queries/organizations.js'
import { routes } from './routes.js'
import { slugCandidates } from './slug.js'

export { findMembership, membershipsOfUser }
export type { OrganizationsTable, MembershipsTable } from './tables.js'

export const organizationsModule: Module = { name: 'organizations', routes }

const MAX_SLUG_ATTEMPTS = 40

/**
 * Creates an organization named after the business with its first owner. The caller's transaction
 * must carry `orgId: input.id` (row-level security checks the new row against it). A registration
 * racing for the same slug does not fail this one: it takes the next free slug.
 */
export async function createOrganization(db: Executor, input: { id: string; name: string; ownerUserId: string }) {
  const name = input.name.trim()
  let attempts = 0
  for await (const slug of slugCandidates(db, name)) {
    const org = await insertOrganizationIfSlugFree(db, { id: input.id, name, slug })
    if (org) {
      await insertMembership(db, { org_id: org.id, user_id: input.ownerUserId, role: 'owner' satisfies Role })
      return org
    }
    if (++attempts >= MAX_SLUG_ATTEMPTS) break
  }
  throw new ConflictError('Could not find a free URL slug for this organization name; try again', 'slug_unavailable')
}
