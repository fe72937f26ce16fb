import type { Generated } from 'kysely'
import type { Role } from '../../platform/auth/permissions.js'

export interface OrganizationsTable {
  id: string
  name: string
  slug: string
  description: string | null
  logo_file_id: string | null
  address: string | null
  city: string | null
  state: string | null
  zip_code: string | null
  country: string | null
  currency: Generated<string>
  timezone: Generated<string>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface MembershipsTable {
  org_id: string
  user_id: string
  role: Role
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface ApiKeysTable {
  id: Generated<string>
  org_id: string
  name: string
  prefix: string
  key_hash: string
  permissions: string[]
  created_by: string | null
  created_at: Generated<Date>
  last_used_at: Date | null
  expires_at: Date | null
  revoked_at: Date | null
}

export interface InvitationsTable {
  id: Generated<string>
  org_id: string
  email: string
  role: Role
  token_hash: string
  invited_by: string | null
  expires_at: Date
  sent_at: Generated<Date>
  accepted_at: Date | null
  accepted_by: string | null
  revoked_at: Date | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface TeamsTable {
  id: Generated<string>
  org_id: string
  name: string
  description: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface TeamMembersTable {
  org_id: string
  team_id: string
  user_id: string
  created_at: Generated<Date>
}

declare module '../../platform/db/schema.js' {
  interface Database {
    organizations: OrganizationsTable
    memberships: MembershipsTable
    api_keys: ApiKeysTable
    invitations: InvitationsTable
    teams: TeamsTable
    team_members: TeamMembersTable
  }
}
