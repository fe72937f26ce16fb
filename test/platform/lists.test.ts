// The list helper against a real table: a scratch table with one column per field type, row-level
// security like any tenant table, and values chosen to make keyset pagination hard (ties, NULLs,
// timestamps a microsecond apart).
import { sql, type Kysely } from 'kysely'
import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ValidationError } from '../../src/platform/errors.js'
import { defineList, list, listQuerystring, parseNestedQuery, type ListParams } from '../../src/platform/http/lists.js'
import { createTestApp, type TestApp } from '../support/app.js'

interface ItemsTable {
  id: string
  org_id: string
  name: string
  price: string
  qty: number
  created_at: Date
  active: boolean
  kind: string
  ref: string | null
  note: string | null
  score: number | null
}
interface ScratchDb {
  list_items: ItemsTable
}

const orgA = '01900000-0000-7000-8000-0000000000a1'
const orgB = '01900000-0000-7000-8000-0000000000b2'
const KINDS = ['alpha', 'beta', 'gamma'] as const
const REFS = ['01900000-0000-7000-8000-000000000001', '01900000-0000-7000-8000-000000000002']

interface Seed {
  id: string
  name: string
  price: number
  qty: number
  /** Microseconds after 2026-01-01T00:00:00Z: several rows share one, others differ by 1 µs. */
  us: number
  active: boolean
  kind: string
  ref: string | null
  note: string | null
  score: number | null
}

const seeds: Seed[] = Array.from({ length: 61 }, (_, i) => ({
  id: `01900000-0000-7000-8000-${String(1000 + i).padStart(12, '0')}`,
  name: ['Apple', 'banana', 'Cherry 50%', 'date_x', 'Elder'][i % 5]!,
  price: [1.5, 2, 10.25, 2][i % 4]!,
  qty: i % 7,
  us: Math.floor(i / 3) * 1000 + (i % 3 === 2 ? 1 : 0),
  active: i % 2 === 0,
  kind: KINDS[i % 3]!,
  ref: i % 4 === 0 ? null : REFS[i % 2]!,
  note: i % 5 === 0 ? null : `note ${i % 6}`,
  score: i % 6 === 0 ? null : (i * 7) % 11,
}))

const spec = defineList({
  fields: {
    id: { column: 'id', type: 'uuid', filter: true },
    name: { column: 'name', type: 'string', sort: true, filter: true },
    price: { column: 'price', type: 'number', sort: true, filter: true },
    qty: { column: 'qty', type: 'number', sort: true, filter: ['eq', 'gt', 'lte', 'in'] },
    createdAt: { column: 'created_at', type: 'date', sort: true, filter: true },
    active: { column: 'active', type: 'boolean', sort: true, filter: true },
    kind: { column: 'kind', type: 'enum', values: KINDS, sort: true, filter: true },
    ref: { column: 'ref', type: 'uuid', nullable: true, filter: true },
    note: { column: 'note', type: 'string', nullable: true, sort: true, filter: true },
    score: { column: 'score', type: 'number', nullable: true, sort: true, filter: true },
  },
  defaultSort: '-createdAt',
  search: (q) => sql<boolean>`name ILIKE ${`%${q}%`} OR note ILIKE ${`%${q}%`}`,
})

let t: TestApp

async function run(params: ListParams, orgId = orgA) {
  return t.platform.db.tenant({ orgId, userId: null }, (db) =>
    list(
      { db, platform: t.platform },
      (db as unknown as Kysely<ScratchDb>).selectFrom('list_items').select(['id', 'name']),
      spec,
      params,
      (r) => r.id,
    ),
  )
}

async function runError(params: ListParams): Promise<ValidationError> {
  const err: unknown = await run(params).then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ValidationError)
  return err as ValidationError
}

/** Every page of a list, checking that nothing repeats. */
async function allPages(params: ListParams): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 100; pages++) {
    const page = await run({ ...params, ...(cursor ? { cursor } : {}) })
    ids.push(...page.data)
    expect(page.hasMore).toBe(page.nextCursor !== null)
    if (!page.nextCursor) return ids
    cursor = page.nextCursor
  }
  throw new Error('pagination did not end')
}

type Key = keyof Seed
/** The order the API promises, computed independently: NULLs last either way, then id. */
function expectedOrder(sort: string, rows = seeds): string[] {
  const keys = sort.split(',').map((s) => ({ key: (s.startsWith('-') ? s.slice(1) : s) as string, desc: s.startsWith('-') }))
  const col = (k: string): Key => (k === 'createdAt' ? 'us' : (k as Key))
  const lastDesc = keys[keys.length - 1]!.desc
  const cmp = (a: Seed, b: Seed): number => {
    for (const { key, desc } of keys) {
      const x = a[col(key)]
      const y = b[col(key)]
      if (x === y) continue
      if (x === null) return 1
      if (y === null) return -1
      const c = x < y! ? -1 : 1
      return desc ? -c : c
    }
    return (a.id < b.id ? -1 : 1) * (lastDesc ? -1 : 1)
  }
  return [...rows].sort(cmp).map((r) => r.id)
}

beforeAll(async () => {
  t = await createTestApp(
    {},
    {
      routes: (app, platform) => {
        app.get(
          '/api/v1/test-items',
          { config: { auth: 'none' }, schema: { querystring: listQuerystring(spec, { tag: Type.Optional(Type.String()) }) } },
          async (request) =>
            platform.db.tenant({ orgId: orgA, userId: null }, (db) =>
              list(
                { db, platform },
                (db as unknown as Kysely<ScratchDb>).selectFrom('list_items').select(['id']),
                spec,
                request.query as ListParams,
                (r) => r.id,
              ),
            ),
        )
      },
    },
  )
  const owner = t.platform.db.owner
  await sql`CREATE TABLE list_items (
    id uuid PRIMARY KEY, org_id uuid NOT NULL, name text COLLATE "C" NOT NULL, price numeric(10,2) NOT NULL,
    qty int NOT NULL, created_at timestamptz NOT NULL, active boolean NOT NULL, kind text NOT NULL,
    ref uuid, note text COLLATE "C", score double precision)`.execute(owner)
  await sql`SELECT luminous_tenant_table('list_items')`.execute(owner)
  for (const s of seeds) {
    await sql`INSERT INTO list_items VALUES (${s.id}, ${orgA}, ${s.name}, ${s.price}, ${s.qty},
      timestamptz '2026-01-01 00:00:00+00' + ${s.us} * interval '1 microsecond', ${s.active}, ${s.kind}, ${s.ref}, ${s.note}, ${s.score})`.execute(owner)
  }
  // Another organization's rows, which no list of orgA may show.
  for (let i = 0; i < 3; i++) {
    await sql`INSERT INTO list_items VALUES (${`01900000-0000-7000-8000-${String(9000 + i).padStart(12, '0')}`}, ${orgB}, 'Apple', 1, 1,
      now(), true, 'alpha', NULL, NULL, NULL)`.execute(owner)
  }
})
afterAll(() => t.close())

describe('list pagination', () => {
  it('defaults to 50 rows in the default order with a cursor to the rest', async () => {
    const page = await run({})
    expect(page.data).toEqual(expectedOrder('-createdAt').slice(0, 50))
    expect(page.hasMore).toBe(true)
    expect(page.total).toBeUndefined()
    const rest = await run({ cursor: page.nextCursor! })
    expect(rest.data).toEqual(expectedOrder('-createdAt').slice(50))
    expect(rest).toMatchObject({ hasMore: false, nextCursor: null })
  })

  it.each([
    '-createdAt',
    'createdAt',
    'name,-price',
    '-price,name,createdAt',
    'active,-createdAt',
    'kind,-qty',
    'score',
    '-score,name',
    'note,-score',
    '-note,qty,-createdAt',
  ])('walks every page sorted by %s without duplicates or gaps', async (sort) => {
    for (const limit of [1, 7, 200]) {
      const ids = await allPages({ sort, limit })
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids).toEqual(expectedOrder(sort))
    }
  })

  it('keeps microsecond order: rows 1 µs apart are neither skipped nor repeated', async () => {
    const ids = await allPages({ sort: 'createdAt', limit: 2 })
    expect(ids).toEqual(expectedOrder('createdAt'))
  })

  it('applies filters and the page together and counts on request', async () => {
    const expected = expectedOrder('-createdAt', seeds.filter((s) => s.active))
    const first = await run({ filter: { active: { eq: 'true' } }, limit: 10, count: true })
    expect(first.total).toBe(expected.length)
    expect(first.data).toEqual(expected.slice(0, 10))
    const second = await run({ filter: { active: { eq: true } }, limit: 10, count: true, cursor: first.nextCursor! })
    expect(second.data).toEqual(expected.slice(10, 20))
    expect(second.total).toBe(expected.length)
  })

  it('never shows another organization’s rows', async () => {
    const page = await run({ limit: 200, count: true })
    expect(page.total).toBe(seeds.length)
    const other = await run({ limit: 200 }, orgB)
    expect(other.data).toHaveLength(3)
  })
})

describe('list filters', () => {
  const ids = (pred: (s: Seed) => boolean) => expectedOrder('-createdAt', seeds.filter(pred))
  const cases: [string, ListParams['filter'], (s: Seed) => boolean][] = [
    ['string eq', { name: { eq: 'Apple' } }, (s) => s.name === 'Apple'],
    ['string ne', { name: { ne: 'Apple' } }, (s) => s.name !== 'Apple'],
    ['string in', { name: { in: 'Apple, Elder' } }, (s) => ['Apple', 'Elder'].includes(s.name)],
    ['string nin', { name: { nin: 'Apple,Elder' } }, (s) => !['Apple', 'Elder'].includes(s.name)],
    ['string contains (case-insensitive)', { name: { contains: 'AN' } }, (s) => /an/i.test(s.name)],
    ['string contains escapes %', { name: { contains: '50%' } }, (s) => s.name.includes('50%')],
    ['string contains escapes _', { name: { contains: 'e_' } }, (s) => s.name.includes('e_')],
    ['string startsWith', { name: { startsWith: 'b' } }, (s) => s.name.toLowerCase().startsWith('b')],
    ['number eq', { price: { eq: '2' } }, (s) => s.price === 2],
    ['number ne', { price: { ne: 2 } }, (s) => s.price !== 2],
    ['number lt', { price: { lt: '2' } }, (s) => s.price < 2],
    ['number lte', { price: { lte: '2' } }, (s) => s.price <= 2],
    ['number gt', { price: { gt: '2' } }, (s) => s.price > 2],
    ['number gte + lt', { price: { gte: '2', lt: '10.25' } }, (s) => s.price >= 2 && s.price < 10.25],
    ['number in', { qty: { in: '0,3' } }, (s) => [0, 3].includes(s.qty)],
    ['number nin', { price: { nin: '1.5,10.25' } }, (s) => ![1.5, 10.25].includes(s.price)],
    ['date gt', { createdAt: { gt: '2026-01-01T00:00:00.010Z' } }, (s) => s.us > 10_000],
    ['date lte (date only)', { createdAt: { lte: '2026-01-01' } }, (s) => s.us === 0],
    ['date eq', { createdAt: { eq: '2026-01-01T00:00:00.003Z' } }, (s) => s.us === 3000],
    ['date in', { createdAt: { in: '2026-01-01T00:00:00.003Z,2026-01-01T00:00:00.004Z' } }, (s) => [3000, 4000].includes(s.us)],
    ['date ne', { createdAt: { ne: '2026-01-01T00:00:00.003Z' } }, (s) => s.us !== 3000],
    ['date lt + gte', { createdAt: { gte: '2026-01-01T00:00:00.002Z', lt: '2026-01-01T00:00:00.005Z' } }, (s) => s.us >= 2000 && s.us < 5000],
    ['date nin', { createdAt: { nin: '2026-01-01T00:00:00Z' } }, (s) => s.us !== 0],
    ['boolean eq', { active: { eq: 'false' } }, (s) => !s.active],
    ['boolean ne', { active: { ne: true } }, (s) => !s.active],
    ['uuid eq', { ref: { eq: REFS[0] } }, (s) => s.ref === REFS[0]],
    ['uuid ne (NULLs count as different)', { ref: { ne: REFS[0] } }, (s) => s.ref !== REFS[0]],
    ['uuid in', { id: { in: `${seeds[3]!.id},${seeds[5]!.id}` } }, (s) => s.id === seeds[3]!.id || s.id === seeds[5]!.id],
    ['uuid nin (keeps NULLs)', { ref: { nin: REFS[1] } }, (s) => s.ref !== REFS[1]],
    ['uuid isNull', { ref: { isNull: 'true' } }, (s) => s.ref === null],
    ['uuid isNull=false', { ref: { isNull: false } }, (s) => s.ref !== null],
    ['enum eq', { kind: { eq: 'beta' } }, (s) => s.kind === 'beta'],
    ['enum ne', { kind: { ne: 'beta' } }, (s) => s.kind !== 'beta'],
    ['enum in', { kind: { in: 'alpha,gamma' } }, (s) => s.kind !== 'beta'],
    ['enum nin', { kind: { nin: 'alpha' } }, (s) => s.kind !== 'alpha'],
    ['nullable string isNull', { note: { isNull: 'true' } }, (s) => s.note === null],
    ['nullable number gt (NULLs excluded)', { score: { gt: '5' } }, (s) => s.score !== null && s.score > 5],
    ['nullable number isNull', { score: { isNull: true } }, (s) => s.score === null],
    ['two fields', { kind: { eq: 'alpha' }, active: { eq: 'true' } }, (s) => s.kind === 'alpha' && s.active],
  ]
  it.each(cases)('%s', async (_name, filter, pred) => {
    const page = await run({ filter, limit: 200 })
    expect(page.data).toEqual(ids(pred))
  })

  it('searches with q', async () => {
    const page = await run({ q: 'elder', limit: 200 })
    expect(page.data).toEqual(ids((s) => /elder/i.test(s.name)))
  })

  it.each([
    [{ filter: { nosuch: { eq: 'x' } } }, 'filter[nosuch]', /cannot filter by "nosuch"/],
    [{ filter: { name: { lt: 'x' } } }, 'filter[name][lt]', /unknown operator "lt"/],
    [{ filter: { qty: { ne: '1' } } }, 'filter[qty][ne]', /unknown operator "ne"/],
    [{ filter: { price: { eq: 'cheap' } } }, 'filter[price][eq]', /must be a number/],
    [{ filter: { createdAt: { gt: 'yesterday' } } }, 'filter[createdAt][gt]', /ISO 8601/],
    [{ filter: { active: { eq: 'maybe' } } }, 'filter[active][eq]', /true or false/],
    [{ filter: { ref: { eq: 'not-a-uuid' } } }, 'filter[ref][eq]', /UUID/],
    [{ filter: { kind: { in: 'alpha,delta' } } }, 'filter[kind][in]', /one of alpha, beta, gamma/],
    [{ filter: { kind: { in: ' , ' } } }, 'filter[kind][in]', /at least one/],
    [{ filter: { name: 'Apple' } as unknown as ListParams['filter'] }, 'filter[name]', /operator/],
    [{ sort: 'nosuch' }, 'sort', /cannot sort by "nosuch"/],
    [{ sort: 'ref' }, 'sort', /cannot sort by "ref"/],
    [{ sort: 'name,-name' }, 'sort', /more than once/],
    [{ sort: 'name,price,qty,kind,active' }, 'sort', /at most 4/],
    [{ limit: 0 }, 'limit', /1 to 200/],
    [{ limit: 201 }, 'limit', /1 to 200/],
  ] as [ListParams, string, RegExp][])('refuses %j naming %s', async (params, path, message) => {
    const err = await runError(params)
    expect(err.details?.[0]?.path).toBe(path)
    expect(err.details?.[0]?.message).toMatch(message)
  })

  it('refuses q on a list without search', async () => {
    const noSearch = defineList({ fields: { name: { column: 'name', type: 'string', sort: true } }, defaultSort: 'name' })
    const err: unknown = await t.platform.db
      .tenant({ orgId: orgA, userId: null }, (db) =>
        list({ db, platform: t.platform }, (db as unknown as Kysely<ScratchDb>).selectFrom('list_items').select('id'), noSearch, { q: 'x' }, (r) => r),
      )
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
  })
})

describe('list cursors', () => {
  it('refuses a tampered cursor', async () => {
    const page = await run({ limit: 5 })
    const cursor = page.nextCursor!
    const [payload, mac] = cursor.split('.') as [string, string]
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { v: string[] }
    body.v[0] = '2030-01-01 00:00:00+00'
    const forged = `${Buffer.from(JSON.stringify(body)).toString('base64url')}.${mac}`
    for (const bad of [forged, `${payload}.${mac.slice(0, -1)}A`, 'garbage', `${payload}`, `${cursor}.x`, '..']) {
      const err = await runError({ limit: 5, cursor: bad })
      expect(err.details?.[0]?.path).toBe('cursor')
    }
  })

  it('refuses a cursor made for another sort order', async () => {
    const page = await run({ limit: 5, sort: 'name' })
    const err = await runError({ limit: 5, sort: '-name', cursor: page.nextCursor! })
    expect(err.details?.[0]).toMatchObject({ path: 'cursor', message: expect.stringMatching(/different sort/) as unknown })
  })
})

describe('list declarations', () => {
  it('fails at definition for unknown default sort, bad columns and ops that do not fit the type', () => {
    expect(() => defineList({ fields: {}, defaultSort: 'x' })).toThrow(/cannot sort by "x"/)
    expect(() => defineList({ fields: { a: { column: 'a; drop', type: 'string' } }, defaultSort: 'a' })).toThrow(/column reference/)
    expect(() => defineList({ fields: { a: { column: 'a', type: 'number', filter: ['contains'] } }, defaultSort: '-a' })).toThrow(/string field/)
    expect(() => defineList({ fields: { a: { column: 'a', type: 'boolean', filter: ['gt'] } }, defaultSort: '-a' })).toThrow(/number, date/)
    expect(() => defineList({ fields: { a: { column: 'a', type: 'enum' } }, defaultSort: '-a' })).toThrow(/enum needs values/)
  })
})

describe('nested querystring parsing', () => {
  it('nests bracketed keys and leaves plain ones alone', () => {
    expect(parseNestedQuery('limit=5&filter[email][eq]=a%40b.c&filter[email][ne]=x&sort=-name')).toEqual({
      limit: '5',
      sort: '-name',
      filter: { email: { eq: 'a@b.c', ne: 'x' } },
    })
  })

  it('keeps keys that cannot nest as written so that schemas reject them by name', () => {
    const q = parseNestedQuery('filter=x&filter[a][eq]=1&a[b][c][d]=1&filter[__proto__][x]=1&__proto__=1&x[]=1')
    expect(q).toEqual({ filter: 'x', 'filter[a][eq]': '1', 'a[b][c][d]': '1', 'filter[__proto__][x]': '1', 'x[]': '1' })
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

describe('list routes over HTTP', () => {
  const get = (qs: string) => t.request({ method: 'GET', url: `/api/test-items?${qs}` })

  it('parses filters, sort, limit and count from the querystring', async () => {
    const res = await get('filter[kind][in]=alpha,gamma&filter[active][eq]=true&sort=name,-createdAt&limit=3&count=true')
    expect(res.statusCode).toBe(200)
    const expected = expectedOrder('name,-createdAt', seeds.filter((s) => s.kind !== 'beta' && s.active))
    expect(res.data).toMatchObject({ data: expected.slice(0, 3), hasMore: true, total: expected.length })
    const next = await get(`filter[kind][in]=alpha,gamma&filter[active][eq]=true&sort=name,-createdAt&limit=3&cursor=${res.data.nextCursor}`)
    expect(next.data.data).toEqual(expected.slice(3, 6))
  })

  it.each([
    ['filter[nosuch][eq]=1', 'filter.nosuch'],
    ['filter[name][nosuchop]=1', 'filter.name.nosuchop'],
    ['filter[price][eq]=cheap', 'filter.price.eq'],
    ['filter[name]=x', 'filter.name'],
    ['nosuch=1', 'nosuch'],
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['cursor=abc', 'cursor'],
    ['sort=nosuch', 'sort'],
  ])('answers 400 for %s naming %s', async (qs, path) => {
    const res = await get(qs)
    expect(res.statusCode).toBe(400)
    expect(res.data.error.code).toBe('validation_failed')
    expect(res.data.error.details.map((d: { path: string }) => d.path)).toContain(path)
  })

  it('documents the parameters in the OpenAPI document, filters as a deepObject', async () => {
    const doc = await t.request({ method: 'GET', url: '/api/v1/openapi.json' })
    const params = doc.data.paths['/api/v1/test-items'].get.parameters as { name: string; style?: string; schema: { properties?: Record<string, unknown> } }[]
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'sort', 'count', 'q', 'filter', 'tag']))
    const filter = params.find((p) => p.name === 'filter')!
    expect(filter).toMatchObject({ style: 'deepObject', explode: true })
    expect(Object.keys(filter.schema.properties!)).toEqual(['id', 'name', 'price', 'qty', 'createdAt', 'active', 'kind', 'ref', 'note', 'score'])
    expect(params.find((p) => p.name === 'limit')!.style).toBeUndefined()
  })

  it('accepts route-specific parameters beside the list ones', async () => {
    const res = await get('tag=x&limit=1')
    expect(res.statusCode).toBe(200)
  })
})
