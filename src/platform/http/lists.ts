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
import { parse as parseQuerystring } from 'node:querystring'
import { sql, type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely'
import { Type, type Static, type TObject, type TProperties, type TSchema, type TUnsafe } from 'typebox'
import type { Executor } from '../db/database.js'
import { ValidationError } from '../errors.js'
import { Obj } from './schemas.js'

export type ListFieldType = 'string' | 'number' | 'date' | 'boolean' | 'uuid' | 'enum'

export const FILTER_OPS = ['eq', 'ne', 'in', 'nin', 'lt', 'lte', 'gt', 'gte', 'contains', 'startsWith', 'isNull'] as const
export type FilterOp = (typeof FILTER_OPS)[number]

export interface ListField {
  /** SQL column reference in the module's query, e.g. `c.created_at` or `email`. */
  column: string
  type: ListFieldType
  /** Allowed values of an `enum` field. */
  values?: readonly string[]
  /** The column may be NULL. Nullable sort fields order NULLs last in both directions. */
  nullable?: boolean
  /** The field may appear in `sort`. */
  sort?: boolean
  /** The field may be filtered: true for every op that fits its type, or the ops allowed. */
  filter?: boolean | readonly FilterOp[]
  description?: string
}

export interface ListSpecInput {
  fields: Record<string, ListField>
  /** Sort when the client gives none, e.g. `-createdAt`. */
  defaultSort: string
  /** Unique column that breaks ties (and ends every sort). Default `id`. */
  idColumn?: string
  /** Full-text search for `q`; without it `q` is not accepted. */
  search?: (q: string) => Expression<SqlBool>
}

export interface ListSpec extends ListSpecInput {
  idColumn: string
  /** Ops allowed per filterable field. */
  ops: ReadonlyMap<string, ReadonlySet<FilterOp>>
}

export interface ListParams {
  limit?: number
  cursor?: string
  sort?: string
  count?: boolean
  q?: string
  filter?: Record<string, Record<string, unknown> | undefined>
}

export interface ListResult<T> {
  data: T[]
  nextCursor: string | null
  hasMore: boolean
  total?: number
}

/** What `list` needs from the request context: its transaction and the secret that signs cursors. */
export interface ListCtx {
  db: Executor
  platform: { config: { JWT_SECRET: string } }
}

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200
const MAX_SORT_FIELDS = 4
const MAX_IN_VALUES = 100
const MAX_STRING = 500

const OPS_BY_TYPE: Record<ListFieldType, readonly FilterOp[]> = {
  string: ['eq', 'ne', 'in', 'nin', 'contains', 'startsWith'],
  number: ['eq', 'ne', 'in', 'nin', 'lt', 'lte', 'gt', 'gte'],
  date: ['eq', 'ne', 'in', 'nin', 'lt', 'lte', 'gt', 'gte'],
  boolean: ['eq', 'ne'],
  uuid: ['eq', 'ne', 'in', 'nin'],
  enum: ['eq', 'ne', 'in', 'nin'],
}
const ORDERED_OPS: ReadonlySet<FilterOp> = new Set(['lt', 'lte', 'gt', 'gte'])
const TEXT_OPS: ReadonlySet<FilterOp> = new Set(['contains', 'startsWith'])
const FIELD_NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/
const COLUMN_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/

/** Validates a list declaration once, at module load, so a typo fails at start-up rather than per request. */
export function defineList(input: ListSpecInput): ListSpec {
  const ops = new Map<string, ReadonlySet<FilterOp>>()
  for (const [name, f] of Object.entries(input.fields)) {
    if (!FIELD_NAME_RE.test(name)) throw new Error(`List field name "${name}" is not a plain identifier`)
    if (!COLUMN_RE.test(f.column)) throw new Error(`List field ${name}: column "${f.column}" is not a column reference`)
    if (f.type === 'enum' && !f.values?.length) throw new Error(`List field ${name}: an enum needs values`)
    if (!f.filter) continue
    const allowed = f.filter === true ? [...OPS_BY_TYPE[f.type], ...(f.nullable ? (['isNull'] as const) : [])] : f.filter
    for (const op of allowed) {
      if (TEXT_OPS.has(op) && f.type !== 'string') throw new Error(`List field ${name}: ${op} needs a string field`)
      if (ORDERED_OPS.has(op) && (f.type === 'boolean' || f.type === 'uuid' || f.type === 'enum')) {
        throw new Error(`List field ${name}: ${op} needs a number, date or string field`)
      }
    }
    ops.set(name, new Set(allowed))
  }
  const spec: ListSpec = { ...input, idColumn: input.idColumn ?? 'id', ops }
  if (!COLUMN_RE.test(spec.idColumn)) throw new Error(`idColumn "${spec.idColumn}" is not a column reference`)
  parseSort(spec, spec.defaultSort)
  return spec
}

// ---------------------------------------------------------------------------------------------------
// Querystring: schema for routes, and the parser that turns `filter[a][b]=v` into nested objects.

function valueSchema(field: ListField, op: FilterOp): TSchema {
  if (op === 'isNull') return Type.Boolean()
  if (op === 'in' || op === 'nin') {
    return Type.String({ maxLength: 8000, description: 'Comma-separated values' })
  }
  switch (field.type) {
    case 'number':
      return Type.Number()
    case 'boolean':
      return Type.Boolean()
    case 'uuid':
      return Type.String({ format: 'uuid' })
    case 'enum':
      return Type.Enum([...(field.values ?? [])])
    case 'date':
      return Type.String({ maxLength: 40, description: 'ISO 8601 date or date-time', examples: ['2026-01-31T12:00:00Z'] })
    case 'string':
      return Type.String({ maxLength: MAX_STRING })
  }
}

/**
 * The querystring schema of a list route: limit, cursor, sort, count, q (when searchable) and
 * `filter[field][op]`, plus any route-specific parameters. Unknown keys, fields and ops are a 400
 * that names them (`filter.nosuch`, `filter.email.nosuchop`).
 */
export function listQuerystring<P extends TProperties = Record<never, TSchema>>(
  spec: ListSpec,
  extra?: P,
): TUnsafe<ListParams & Static<TObject<P>>> {
  const sortable = Object.entries(spec.fields)
    .filter(([, f]) => f.sort)
    .map(([n]) => n)
  const filterProps: TProperties = {}
  for (const [name, ops] of spec.ops) {
    const field = spec.fields[name]!
    const byOp: TProperties = {}
    for (const op of ops) byOp[op] = Type.Optional(valueSchema(field, op))
    filterProps[name] = Type.Optional(Obj(byOp, field.description ? { description: field.description } : {}))
  }
  // Typed as what handlers receive (ListParams plus the route's own parameters), so no cast is needed.
  const schema = Obj({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })),
    cursor: Type.Optional(Type.String({ maxLength: 2048, description: 'nextCursor of the previous page' })),
    sort: Type.Optional(
      Type.String({
        maxLength: 200,
        description: `Comma-separated fields, \`-\` for descending. Fields: ${sortable.join(', ') || '(none)'}. Default \`${spec.defaultSort}\`.`,
        examples: [spec.defaultSort],
      }),
    ),
    count: Type.Optional(Type.Boolean({ description: 'Also return `total`, the number of rows matching the filters' })),
    ...(spec.search ? { q: Type.Optional(Type.String({ maxLength: 200, description: 'Full-text search' })) } : {}),
    ...(spec.ops.size > 0
      ? {
          filter: Type.Optional(
            Obj(filterProps, { description: 'Filters as `filter[field][op]=value`; `in`/`nin` take comma-separated values.' }),
          ),
        }
      : {}),
    ...(extra ?? {}),
  })
  return Type.Unsafe<ListParams & Static<TObject<P>>>(schema)
}

const BRACKETS_RE = /^([^[\]]+)((?:\[[^[\]]+\])+)$/
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Fastify's querystring parser for the whole app: standard parsing, plus `a[b][c]=v` nested into
 * `{ a: { b: { c: v } } }` (at most three levels). A key that cannot nest (clashing with a plain key,
 * or naming a prototype property) stays as written, so the route schema rejects it by name.
 */
export function parseNestedQuery(str: string): Record<string, unknown> {
  const flat = parseQuerystring(str)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(flat)) {
    const m = BRACKETS_RE.exec(key)
    const path = m ? [m[1]!, ...m[2]!.slice(1, -1).split('][')] : null
    if (!path || path.length > 3 || path.some((p) => UNSAFE_KEYS.has(p))) {
      if (!UNSAFE_KEYS.has(key)) out[key] = value
      continue
    }
    let node = out
    let ok = true
    for (const seg of path.slice(0, -1)) {
      const next = Object.hasOwn(node, seg) ? node[seg] : (node[seg] = {})
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        ok = false
        break
      }
      node = next as Record<string, unknown>
    }
    const last = path[path.length - 1]!
    if (ok && !Object.hasOwn(node, last)) node[last] = value
    else out[key] = value
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// Sort, filters and cursors.

interface SortKey {
  name: string
  column: string
  desc: boolean
  nullable: boolean
}

function parseSort(spec: ListSpec, raw: string): SortKey[] {
  const keys: SortKey[] = []
  const seen = new Set<string>()
  for (const part of raw.split(',').map((s) => s.trim())) {
    const desc = part.startsWith('-')
    const name = desc ? part.slice(1) : part
    const field = Object.hasOwn(spec.fields, name) ? spec.fields[name] : undefined
    if (!field?.sort) {
      const allowed = Object.entries(spec.fields)
        .filter(([, f]) => f.sort)
        .map(([n]) => n)
      throw ValidationError.field('sort', `cannot sort by "${name}"; sortable fields: ${allowed.join(', ') || 'none'}`)
    }
    if (seen.has(name)) throw ValidationError.field('sort', `"${name}" appears more than once`)
    seen.add(name)
    keys.push({ name, column: field.column, desc, nullable: field.nullable === true })
  }
  if (keys.length > MAX_SORT_FIELDS) throw ValidationError.field('sort', `at most ${MAX_SORT_FIELDS} fields`)
  // The id ends every order so that it is total; it follows the direction of the last key so that an
  // index such as (created_at DESC, id DESC) serves the whole order.
  if (!keys.some((k) => k.column === spec.idColumn)) {
    keys.push({ name: '$id', column: spec.idColumn, desc: keys[keys.length - 1]?.desc ?? false, nullable: false })
  }
  return keys
}

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
