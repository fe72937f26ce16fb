// The list helper of API-CONVENTIONS "Lists": `limit`, an opaque `cursor`, `sort`, `filter[field][op]`,
// `q` and `count=true`, compiled to keyset pagination over a Kysely query the module builds.
//
// A module declares its list once with `defineList({ fields, defaultSort, search })`, builds the route's
// querystring schema with `listQuerystring(spec)` (so validation and the OpenAPI document agree) and
// calls `list(ctx, query, spec, params, toDto)` in its service.
//
// Keyset pagination: rows are ordered by the sort fields and then the id (a unique tie-breaker), and a
// cursor carries the last row's values of those columns. The next page is "every row after that one in
// this order", so inserts and deletes between pages never cause duplicates or gaps the way OFFSET does.
// Sort values travel as PostgreSQL's own text form (timestamps keep their microseconds; a JS Date
// would round them to milliseconds and skip rows) and the cursor is signed, so a tampered one is a 400.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { sql, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely'
import { ValidationError } from '../errors.js'
import {
  DEFAULT_LIMIT,
  MAX_IN_VALUES,
  MAX_LIMIT,
  MAX_STRING,
  parseSort,
  type FilterOp,
  type ListCtx,
  type ListField,
  type ListParams,
  type ListResult,
  type ListSpec,
  type SortKey,
} from './list-spec.js'

export * from './list-spec.js'
export { listQuerystring, parseNestedQuery } from './list-querystring.js'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DATE_RE = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$/
const NUMBER_RE = /^-?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$/

/** Validates and coerces one filter value to what PostgreSQL should compare with. */
function coerce(field: ListField, value: unknown, path: string): string | number | boolean {
  const bad = (why: string) => ValidationError.field(path, why)
  switch (field.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_RE.test(value.trim()) ? Number(value) : NaN
      if (!Number.isFinite(n)) throw bad('must be a number')
      return n
    }
    case 'boolean':
      if (value === true || value === 'true' || value === '1') return true
      if (value === false || value === 'false' || value === '0') return false
      throw bad('must be true or false')
    case 'uuid':
      if (typeof value !== 'string' || !UUID_RE.test(value)) throw bad('must be a UUID')
      return value.toLowerCase()
    case 'enum':
      if (typeof value !== 'string' || !field.values!.includes(value)) throw bad(`must be one of ${field.values!.join(', ')}`)
      return value
    case 'date':
      if (typeof value !== 'string' || !DATE_RE.test(value) || Number.isNaN(Date.parse(value.replace(' ', 'T')))) {
        throw bad('must be an ISO 8601 date or date-time')
      }
      // Without a zone PostgreSQL would read the value in the session's time zone; the API speaks UTC.
      if (value.length === 10) return `${value}T00:00:00Z`
      return /([Zz]|[+-]\d{2}(:?\d{2})?)$/.test(value.slice(10)) ? value : `${value}Z`
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number') throw bad('must be a string')
      if (String(value).length > MAX_STRING) throw bad(`must be at most ${MAX_STRING} characters`)
      return String(value)
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

function filterExpression(spec: ListSpec, name: string, op: string, raw: unknown): RawBuilder<SqlBool> {
  const path = `filter[${name}][${op}]`
  const field = Object.hasOwn(spec.fields, name) ? spec.fields[name] : undefined
  const allowed = field ? spec.ops.get(name) : undefined
  if (!field || !allowed) {
    throw ValidationError.field(`filter[${name}]`, `cannot filter by "${name}"; filterable fields: ${[...spec.ops.keys()].join(', ') || 'none'}`)
  }
  if (!allowed.has(op as FilterOp)) {
    throw ValidationError.field(path, `unknown operator "${op}" for ${name}; use one of ${[...allowed].join(', ')}`)
  }
  const col = sql.ref(field.column)
  switch (op as FilterOp) {
    case 'isNull': {
      const isNull = coerce({ column: '', type: 'boolean' }, raw, path)
      return isNull ? sql<SqlBool>`${col} IS NULL` : sql<SqlBool>`${col} IS NOT NULL`
    }
    case 'in':
    case 'nin': {
      if (typeof raw !== 'string') throw ValidationError.field(path, 'must be a comma-separated list')
      const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
      if (items.length === 0) throw ValidationError.field(path, 'needs at least one value')
      if (items.length > MAX_IN_VALUES) throw ValidationError.field(path, `takes at most ${MAX_IN_VALUES} values`)
      const values = items.map((v) => coerce(field, v, path))
      // Cast per value so the list compares with the column's type (timestamptz, uuid, numeric...).
      const list = sql.join(values.map((v) => sql`${v}`))
      return op === 'in' ? sql<SqlBool>`${col} IN (${list})` : sql<SqlBool>`(${col} IS NULL OR ${col} NOT IN (${list}))`
    }
    case 'contains':
      return sql<SqlBool>`${col} ILIKE ${`%${escapeLike(coerce(field, raw, path) as string)}%`}`
    case 'startsWith':
      return sql<SqlBool>`${col} ILIKE ${`${escapeLike(coerce(field, raw, path) as string)}%`}`
    default: {
      const v = coerce(field, raw, path)
      const operator = { eq: '=', ne: 'IS DISTINCT FROM', lt: '<', lte: '<=', gt: '>', gte: '>=' }[op as 'eq']
      return sql<SqlBool>`${col} ${sql.raw(operator)} ${v}`
    }
  }
}

interface CursorBody {
  /** The sort it was made for: a cursor from another order would skip or repeat rows. */
  s: string
  v: (string | null)[]
}

const cursorKeys = new WeakMap<object, Buffer>()
function cursorKey(config: { JWT_SECRET: string }): Buffer {
  let key = cursorKeys.get(config)
  if (!key) {
    key = createHmac('sha256', config.JWT_SECRET).update('luminous list cursor').digest()
    cursorKeys.set(config, key)
  }
  return key
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url').slice(0, 22)
}

export function encodeCursor(key: Buffer, body: CursorBody): string {
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url')
  return `${payload}.${sign(key, payload)}`
}

function decodeCursor(key: Buffer, cursor: string, sortSig: string, width: number): (string | null)[] {
  const invalid = () => ValidationError.field('cursor', 'is not a cursor from this list; start again without it')
  const [payload, mac, extra] = cursor.split('.')
  if (!payload || !mac || extra !== undefined) throw invalid()
  const expected = Buffer.from(sign(key, payload))
  const given = Buffer.from(mac)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid()
  let body: unknown
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  const b = body as Partial<CursorBody> | null
  if (
    typeof b !== 'object' ||
    b === null ||
    b.s !== sortSig ||
    !Array.isArray(b.v) ||
    b.v.length !== width ||
    !b.v.every((x) => x === null || typeof x === 'string')
  ) {
    throw ValidationError.field('cursor', 'belongs to a different sort order; start again without it')
  }
  return b.v
}

/** "Strictly after the cursor row" in the order of `keys` (NULLs last in both directions). */
function afterCursor(keys: SortKey[], values: (string | null)[]): RawBuilder<SqlBool> {
  const refs = keys.map((k) => sql.ref(k.column))
  const sameDirection = keys.every((k) => k.desc === keys[0]!.desc)
  if (sameDirection && keys.every((k) => !k.nullable)) {
    // One row comparison: PostgreSQL can walk a composite index straight to the cursor.
    const op = sql.raw(keys[0]!.desc ? '<' : '>')
    return sql<SqlBool>`(${sql.join(refs)}) ${op} (${sql.join(values.map((v) => sql`${v}`))})`
  }
  const branches: RawBuilder<SqlBool>[] = []
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    const v = values[i]
    // Within NULLs (which sort last) nothing comes after on this key; only later keys can decide.
    if (v === null || v === undefined) continue
    const op = sql.raw(k.desc ? '<' : '>')
    const after = k.nullable ? sql`(${refs[i]} ${op} ${v} OR ${refs[i]} IS NULL)` : sql`${refs[i]} ${op} ${v}`
    const equal = keys.slice(0, i).map((_, j) => (values[j] === null ? sql`${refs[j]} IS NULL` : sql`${refs[j]} = ${values[j]}`))
    branches.push(sql<SqlBool>`(${sql.join([...equal, after], sql` AND `)})`)
  }
  return branches.length ? sql<SqlBool>`(${sql.join(branches, sql` OR `)})` : sql<SqlBool>`false`
}

const KEY_ALIAS = '__list_key_'

/**
 * Runs a list over `query` (the module's select, already scoped to what the caller may see) and maps
 * each row with `toDto`. Filters, search, sort and the cursor are applied here; the module's own
 * ORDER BY is replaced.
 */
export async function list<DB, TB extends keyof DB, O, Dto>(
  ctx: ListCtx,
  query: SelectQueryBuilder<DB, TB, O>,
  spec: ListSpec,
  params: ListParams,
  toDto: (row: O) => Dto,
): Promise<ListResult<Dto>> {
  const limit = params.limit ?? DEFAULT_LIMIT
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw ValidationError.field('limit', `must be an integer from 1 to ${MAX_LIMIT}`)
  }
  const sortRaw = params.sort?.trim() || spec.defaultSort
  const keys = parseSort(spec, sortRaw)

  let qb = query.clearOrderBy()
  for (const [name, ops] of Object.entries(params.filter ?? {})) {
    if (ops === undefined) continue
    if (typeof ops !== 'object' || ops === null) throw ValidationError.field(`filter[${name}]`, 'must name an operator: filter[field][op]=value')
    for (const [op, value] of Object.entries(ops)) {
      if (value === undefined) continue
      qb = qb.where(filterExpression(spec, name, op, value))
    }
  }
  if (params.q !== undefined && params.q.trim() !== '') {
    if (!spec.search) throw ValidationError.field('q', 'this list does not support search')
    qb = qb.where(spec.search(params.q.trim()))
  }

  const key = cursorKey(ctx.platform.config)
  const sortSig = keys.map((k) => `${k.desc ? '-' : ''}${k.name}`).join(',')
  let page = qb
  if (params.cursor) page = page.where(afterCursor(keys, decodeCursor(key, params.cursor, sortSig, keys.length)))
  for (const k of keys) {
    const dir = k.desc ? 'desc' : 'asc'
    page = page.orderBy(sql.ref(k.column), k.nullable ? (ob) => ob[dir]().nullsLast() : dir)
  }
  // The sort values in PostgreSQL's text form, exact (microseconds included) and castable back.
  const withKeys = keys.reduce<SelectQueryBuilder<DB, TB, O>>(
    (b, k, i) => b.select(sql<string | null>`${sql.ref(k.column)}::text`.as(`${KEY_ALIAS}${i}`)) as unknown as SelectQueryBuilder<DB, TB, O>,
    page,
  )
  const rows = (await withKeys.limit(limit + 1).execute()) as (O & Record<string, unknown>)[]
  const hasMore = rows.length > limit
  if (hasMore) rows.length = limit
  const last = rows[rows.length - 1]
  const nextCursor =
    hasMore && last ? encodeCursor(key, { s: sortSig, v: keys.map((_, i) => (last[`${KEY_ALIAS}${i}`] as string | null) ?? null) }) : null
  const data = rows.map((row) => {
    for (let i = 0; i < keys.length; i++) delete row[`${KEY_ALIAS}${i}`]
    return toDto(row)
  })
  const result: ListResult<Dto> = { data, nextCursor, hasMore }
  if (params.count) {
    const { rows: counted } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${qb}) AS list_count`.execute(ctx.db)
    result.total = counted[0]?.n ?? 0
  }
  return result
}
