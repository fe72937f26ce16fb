// Renders docs/permissions.md from the permission matrix in code. A test compares the file with this
// output, so the document cannot drift from what the guard enforces.
import { PERMISSIONS, ROLE_PERMISSIONS, ROLE_RANK, ROLES, type Permission } from '../../platform/auth/permissions.js'

export const PERMISSIONS_DOC_PATH = 'docs/permissions.md'
export const REGENERATE_COMMAND = 'UPDATE_DOCS=1 npx vitest run test/modules/organizations/permissions-doc.test.ts'

export function renderPermissionsDoc(): string {
  const roles = [...ROLES].sort((a, b) => ROLE_RANK[b] - ROLE_RANK[a])
  const has = (role: (typeof ROLES)[number], p: Permission) => ROLE_PERMISSIONS[role].includes(p)
  const header = `| Permission | Allows | ${roles.join(' | ')} |`
  const rule = `|---|---|${roles.map(() => ':---:').join('|')}|`
  const rows = (Object.entries(PERMISSIONS) as [Permission, string][]).map(
    ([p, what]) => `| \`${p}\` | ${what} | ${roles.map((r) => (has(r, p) ? '✓' : '')).join(' | ')} |`,
  )
  return `# Roles and permissions

<!-- Generated from src/platform/auth/permissions.ts; do not edit by hand. After changing the matrix run:
     ${REGENERATE_COMMAND} -->

Every member of an organization has one role. Every API route declares the permission it needs
(\`config: { permission }\`), and one guard checks it against the caller's role — read from the
database on each request, so a role change applies at once. The OpenAPI document at
\`/api/v1/openapi.json\` names the permission of each route. Routes without a permission are open to
every signed-in member (their own profile, sessions, the organizations they belong to).

Roles, highest first: ${roles.map((r) => `**${r}**`).join(' > ')}.

${header}
${rule}
${rows.join('\n')}

## Rules beyond the matrix

- **Granting roles.** Nobody grants a role above their own, by invitation or by changing a member's
  role. Only owners make someone an owner, and only owners change or remove an owner: an admin cannot
  demote or remove an owner (403 \`owner_required\`).
- **At least one owner.** Demoting or removing the last owner, or the last owner leaving, is refused
  with 422 \`last_owner\`. Make someone else an owner first.
- **Leaving.** Any member may remove themselves (\`DELETE /api/v1/members/{your id}\`); removing anyone
  else needs \`members:manage\`.
- **API keys** act for one organization with an explicit list of permissions, never more than their
  creator holds (403 \`permission_not_held\`). For member management they rank as an admin: they can
  manage members below owner but never grant, change or remove ownership.
`
}
