// A list's declaration: which fields a client may sort and filter by, the columns behind them and their
// types, validated once at start-up. See lists.ts.
import type { Expression, SqlBool } from 'kysely'
import type { Executor } from '../db/database.js'
import { ValidationError } from '../errors.js'

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
export const MAX_IN_VALUES = 100
export const MAX_STRING = 500

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


export interface SortKey {
  name: string
  column: string
  desc: boolean
  nullable: boolean
}

export function parseSort(spec: ListSpec, raw: string): SortKey[] {
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
