// Shared look-ups for the organizations tests: the audit trail and outbox as the database owner sees them.
import type { TestApp } from '../../support/app.js'

export async function lastAudit(t: TestApp, orgId: string, entity: string) {
  return t.platform.db.owner
    .selectFrom('audit_logs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('entity', '=', entity)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst()
}

export async function lastEvent(t: TestApp, orgId: string, type: string) {
  return t.platform.db.owner
    .selectFrom('outbox_events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('type', '=', type)
    .orderBy('id', 'desc')
    .executeTakeFirst()
}

/** An API key of `token`'s organization carrying exactly `permissions`. */
export async function apiKeyFor(t: TestApp, token: string, permissions: string[]): Promise<string> {
  const res = await t.request({ method: 'POST', url: '/api/v1/api-keys', token, payload: { name: 'test key', permissions } })
  if (res.statusCode !== 201) throw new Error(`api key: ${res.statusCode} ${res.body}`)
  return res.data.key as string
}

export const paths = (res: { data: { error: { details?: { path: string }[] } } }) => (res.data.error.details ?? []).map((d) => d.path)
