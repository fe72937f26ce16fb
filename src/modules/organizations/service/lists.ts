// The list declarations of this module (fields a client may sort and filter by), shared by the routes
// (querystring schemas) and the services (queries).
import { sql, type SqlBool } from 'kysely'
import { ROLES } from '../../../platform/auth/permissions.js'
import { defineList } from '../../../platform/http/lists.js'

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export const memberList = defineList({
  fields: {
    role: { column: 'm.role', type: 'enum', values: ROLES, filter: true },
    joinedAt: { column: 'm.created_at', type: 'date', sort: true, filter: true },
    email: { column: 'u.email', type: 'string', sort: true, filter: true },
    firstName: { column: 'u.first_name', type: 'string', sort: true, filter: true },
    lastName: { column: 'u.last_name', type: 'string', sort: true, filter: true },
  },
  defaultSort: 'joinedAt',
  idColumn: 'm.user_id',
  search: (q) => {
    const p = likePattern(q)
    return sql<SqlBool>`(u.first_name || ' ' || u.last_name ILIKE ${p} OR u.email ILIKE ${p})`
  },
})

export const invitationList = defineList({
  fields: {
    status: { column: 'x.status', type: 'enum', values: ['pending', 'accepted', 'revoked', 'expired'], filter: true },
    role: { column: 'x.role', type: 'enum', values: ROLES, filter: true },
    email: { column: 'x.email', type: 'string', sort: true, filter: true },
    createdAt: { column: 'x.created_at', type: 'date', sort: true, filter: true },
    expiresAt: { column: 'x.expires_at', type: 'date', sort: true, filter: true },
  },
  defaultSort: '-createdAt',
  idColumn: 'x.id',
  search: (q) => sql<SqlBool>`x.email ILIKE ${likePattern(q)}`,
})

export const teamList = defineList({
  fields: {
    name: { column: 't.name', type: 'string', sort: true, filter: true },
    createdAt: { column: 't.created_at', type: 'date', sort: true, filter: true },
  },
  defaultSort: 'name',
  idColumn: 't.id',
  search: (q) => sql<SqlBool>`t.name ILIKE ${likePattern(q)}`,
})

export const apiKeyList = defineList({
  fields: {
    name: { column: 'name', type: 'string', sort: true, filter: true },
    createdAt: { column: 'created_at', type: 'date', sort: true, filter: true },
    expiresAt: { column: 'expires_at', type: 'date', nullable: true, sort: true, filter: true },
    revokedAt: { column: 'revoked_at', type: 'date', nullable: true, filter: ['isNull', 'lt', 'gt'] },
  },
  defaultSort: '-createdAt',
})

export const myOrganizationList = defineList({
  fields: {
    name: { column: 'o.name', type: 'string', sort: true, filter: true },
    role: { column: 'm.role', type: 'enum', values: ROLES, filter: true },
    joinedAt: { column: 'm.created_at', type: 'date', sort: true },
  },
  defaultSort: 'joinedAt',
  idColumn: 'm.org_id',
})
