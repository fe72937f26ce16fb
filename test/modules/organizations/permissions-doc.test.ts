// docs/permissions.md must say exactly what the matrix in code enforces; and the matrix itself keeps
// the properties the organization rules rely on.
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ALL_PERMISSIONS, ROLE_PERMISSIONS, ROLE_RANK, ROLES, permissionsOf } from '../../../src/platform/auth/permissions.js'
import { PERMISSIONS_DOC_PATH, REGENERATE_COMMAND, renderPermissionsDoc } from '../../../src/modules/organizations/permissions-doc.js'

describe('docs/permissions.md', () => {
  it('matches the permission matrix in code', () => {
    const expected = renderPermissionsDoc()
    if (process.env.UPDATE_DOCS === '1') writeFileSync(PERMISSIONS_DOC_PATH, expected)
    const actual = readFileSync(PERMISSIONS_DOC_PATH, 'utf8')
    expect(actual, `docs/permissions.md is out of date; run: ${REGENERATE_COMMAND}`).toBe(expected)
  })

  it('lists every role and every permission', () => {
    const doc = renderPermissionsDoc()
    for (const role of ROLES) expect(doc).toContain(` ${role} |`)
    for (const p of ALL_PERMISSIONS) expect(doc).toContain(`| \`${p}\` |`)
  })
})

describe('the permission matrix', () => {
  it('gives owners every permission', () => {
    expect([...permissionsOf('owner')].sort()).toEqual([...ALL_PERMISSIONS].sort())
  })

  it('never gives a lower role a permission a higher role lacks', () => {
    const byRank = [...ROLES].sort((a, b) => ROLE_RANK[b] - ROLE_RANK[a])
    for (let i = 1; i < byRank.length; i++) {
      const higher = permissionsOf(byRank[i - 1]!)
      for (const p of ROLE_PERMISSIONS[byRank[i]!]) expect(higher.has(p), `${byRank[i - 1]} lacks ${p} that ${byRank[i]} has`).toBe(true)
    }
  })

  it('keeps member and key management to owners and admins, and lets everyone read the organization', () => {
    for (const role of ROLES) {
      const perms = permissionsOf(role)
      const manager = role === 'owner' || role === 'admin'
      expect(perms.has('members:manage')).toBe(manager)
      expect(perms.has('api-keys:manage')).toBe(manager)
      expect(perms.has('organization:update')).toBe(manager)
      expect(perms.has('organization:read')).toBe(true)
      expect(perms.has('members:read')).toBe(true)
    }
    expect(permissionsOf('manager').has('teams:manage')).toBe(true)
    expect(permissionsOf('agent').has('teams:manage')).toBe(false)
  })
})
