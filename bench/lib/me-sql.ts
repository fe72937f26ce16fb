// The one query behind the baseline route, also replayed by pgbench: the user, the organization and the
// role, which is everything `GET /api/auth/me` answers (permissions follow from the role).
export const ME_SQL = `SELECT u.id, u.email, u.first_name, u.last_name, u.phone_number, u.email_verified_at, u.locale,
  u.timezone, u.settings, u.created_at, u.updated_at, o.id AS org_id, o.name AS org_name, o.slug AS org_slug, m.role
FROM users u JOIN memberships m ON m.user_id = u.id AND m.org_id = $2 JOIN organizations o ON o.id = m.org_id
WHERE u.id = $1`

/** The same statement in pgbench's syntax (`:uid`, `:oid` are sent as parameters with -M extended). */
export const ME_PGBENCH = `${ME_SQL.replace('$1', ':uid').replace('$2', ':oid').replace(/\n/g, ' ')};\n`
