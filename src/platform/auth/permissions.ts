// Roles and the permission matrix, in one place. Routes declare the permission they need
// (`config: { permission: 'members:manage' }`); the guard checks it. API keys carry an explicit subset.
// Modules add their permissions here as they land, so the whole matrix stays reviewable at a glance
// (docs/permissions.md is generated from it by a test).

export const ROLES = ['owner', 'admin', 'manager', 'agent', 'viewer'] as const
export type Role = (typeof ROLES)[number]

export const PERMISSIONS = {
  'organization:read': 'See the organization profile',
  'organization:update': 'Change the organization profile and logo',
  'members:read': 'List members, teams and invitations',
  'members:manage': 'Invite, change roles of and remove members',
  'teams:manage': 'Create, rename and delete teams and set their members',
  'api-keys:manage': 'Create, list and revoke API keys',
  'audit:read': 'Read the audit log',
  'files:read': 'Read files and download them',
  'files:write': 'Upload files and delete the ones you uploaded',
  'files:manage': "Delete any member's files",
} as const satisfies Record<string, string>

export type Permission = keyof typeof PERMISSIONS
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[]

// Managers read everything except the audit log, which is for admins and owners.
const readOnly = ALL_PERMISSIONS.filter((p) => p.endsWith(':read') && p !== 'audit:read')

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ALL_PERMISSIONS,
  admin: ALL_PERMISSIONS,
  manager: [...readOnly, 'files:write', 'files:manage', 'teams:manage'],
  agent: ['organization:read', 'members:read', 'files:read', 'files:write'],
  viewer: ['organization:read', 'members:read', 'files:read'],
}

/** Roles an actor may grant: nobody grants a role above their own; only owners make owners. */
export const ROLE_RANK: Record<Role, number> = { owner: 5, admin: 4, manager: 3, agent: 2, viewer: 1 }

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v)
export const isPermission = (v: unknown): v is Permission => typeof v === 'string' && v in PERMISSIONS

export function can(permissions: ReadonlySet<string>, permission: Permission): boolean {
  return permissions.has(permission)
}

const roleSets = Object.fromEntries(
  Object.entries(ROLE_PERMISSIONS).map(([role, perms]) => [role, new Set<string>(perms)]),
) as unknown as Record<Role, ReadonlySet<string>>

export const permissionsOf = (role: Role): ReadonlySet<string> => roleSets[role]
