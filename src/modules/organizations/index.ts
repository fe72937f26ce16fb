// Organizations: the tenants of Luminous — business profile, memberships and roles, invitations,
// teams and API keys. Other modules create an organization at sign-up and read memberships through here.
import type { Role } from '../../platform/auth/permissions.js'
import type { Executor } from '../../platform/db/database.js'
import { findMembership, insertMembership, insertOrganization, membershipsOfUser } from './queries.js'
import { uniqueSlug } from './slug.js'

export { findMembership, membershipsOfUser }

/**
 * Creates an organization named after the business with its first owner. The caller's transaction
 * must carry `orgId: input.id` (row-level security checks the new row against it).
 */
export async function createOrganization(db: Executor, input: { id: string; name: string; ownerUserId: string }) {
  const slug = await uniqueSlug(db, input.name)
  const org = await insertOrganization(db, { id: input.id, name: input.name.trim(), slug })
  await insertMembership(db, { org_id: org.id, user_id: input.ownerUserId, role: 'owner' satisfies Role })
  return org
}
