// The baseline for `GET /api/auth/me`: a bare Fastify route that answers the same JSON from the same
// rows with one plain query through `pg` — no authentication, no tenant context, no transaction, no
// validation, no logging, no plugins. Whatever Luminous costs beyond this is its own overhead.
// Run by bench/me.ts as its own process, like the server it is compared with:
//   BARE_PORT=… BARE_DATABASE_URL=… BARE_POOL_SIZE=10 BARE_USER_ID=… BARE_ORG_ID=… tsx bench/bare-server.ts
import Fastify from 'fastify'
import pg from 'pg'
import { permissionsOf, type Role } from '../src/platform/auth/permissions.js'
import { ME_SQL } from './lib/me-sql.js'

const env = (name: string): string => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is required`)
  return v
}

const userId = env('BARE_USER_ID')
const orgId = env('BARE_ORG_ID')
const pool = new pg.Pool({ connectionString: env('BARE_DATABASE_URL'), max: Number(env('BARE_POOL_SIZE')) })

interface Row {
  id: string
  email: string
  first_name: string
  last_name: string
  phone_number: string | null
  email_verified_at: Date | null
  locale: string
  timezone: string
  settings: Record<string, unknown>
  created_at: Date
  updated_at: Date
  org_id: string
  org_name: string
  org_slug: string
  role: Role
}

const app = Fastify({ logger: false })
app.get('/me', async () => {
  const { rows } = await pool.query<Row>(ME_SQL, [userId, orgId])
  const r = rows[0]!
  return {
    user: {
      id: r.id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      phoneNumber: r.phone_number,
      emailVerified: r.email_verified_at !== null,
      locale: r.locale,
      timezone: r.timezone,
      settings: r.settings,
      avatarUrl: null,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    },
    organization: { id: r.org_id, name: r.org_name, slug: r.org_slug },
    role: r.role,
    permissions: [...permissionsOf(r.role)].sort(),
  }
})

await app.listen({ port: Number(env('BARE_PORT')), host: '127.0.0.1' })
process.stdout.write('bare server listening\n')
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0))
  })
}
