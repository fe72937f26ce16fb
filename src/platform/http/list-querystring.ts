// The querystring side of lists: the schema a list route declares (so validation and the OpenAPI
// document agree) and the app's parser that nests `filter[field][op]=value`.
import { parse as parseQuerystring } from 'node:querystring'
import { Type, type Static, type TObject, type TProperties, type TSchema, type TUnsafe } from 'typebox'
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_STRING, type FilterOp, type ListField, type ListParams, type ListSpec } from './list-spec.js'
import { Obj } from './schemas.js'

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
