// The outbox dispatcher against the real PostgreSQL: ordering, no double work across dispatchers,
// LISTEN wake-ups and their reconnection, and pruning past the replay window.
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Dispatcher, pruneDispatchedEvents, type DispatchedBatch } from '../../src/platform/events/dispatcher.js'
import { publishIn, rooms } from '../../src/platform/events/outbox.js'
import { newId } from '../../src/platform/ids.js'
import { streamAfter } from '../../src/platform/realtime/queries.js'
import { NodeStream } from '../../src/platform/realtime/stream.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { pendingJobs, runJobs } from '../support/jobs.js'

let t: TestApp
const running: Dispatcher[] = []
const quiet = { warn: () => {}, error: () => {} }

beforeAll(async () => {
  t = await createTestApp()
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()))
  await sql`DELETE FROM outbox_events`.execute(t.platform.db.owner)
})
afterAll(async () => {
  await t.close()
})

function dispatcher(opts: { batchSize?: number; pollIntervalMs?: number } = {}) {
  const batches: DispatchedBatch[] = []
  const d = new Dispatcher(t.platform.db.ownerPool, {
    ownerUrl: t.database.ownerUrl,
    pollIntervalMs: opts.pollIntervalMs ?? 60_000,
    batchSize: opts.batchSize ?? 200,
    log: quiet,
    onDispatched: (b) => batches.push(b),
  })
  running.push(d)
  return { d, batches, events: () => batches.flatMap((b) => b.events) }
}

async function raise(orgId: string, aggregateId: string, n: number, start = 0): Promise<void> {
  await t.platform.db.tenant({ orgId, userId: null }, async (db) => {
    for (let i = start; i < start + n; i++) {
      await publishIn(db, orgId, { type: 'thing.changed', aggregate: 'thing', aggregateId, rooms: [rooms.org(orgId)], payload: { aggregateId, n: i } })
    }
  })
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

const pendingCount = async () =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox_events WHERE dispatched_at IS NULL`.execute(t.platform.db.owner)).rows[0]!.n

describe('outbox dispatcher', () => {
  it('delivers pending events in id order as one contiguous stream, marking them dispatched', async () => {
    const org = newId()
    await raise(org, 'a', 5)
    const { d, batches, events } = dispatcher({ batchSize: 2 })
    await d.drain()
    expect(events().map((e) => e.payload)).toEqual([0, 1, 2, 3, 4].map((n) => ({ aggregateId: 'a', n })))
    // Batches of two, numbered on from the stream head with no gap.
    expect(batches.map((b) => [b.from, b.to])).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ])
    expect(events().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    const ids = events().map((e) => e.id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(events()[0]).toMatchObject({ orgId: org, type: 'thing.changed', rooms: [rooms.org(org)] })
    expect(await pendingCount()).toBe(0)
    const head = await t.platform.db.owner.selectFrom('outbox_stream').select('head').executeTakeFirstOrThrow()
    expect(head.head).toBe(5)
  })

  it('keeps each aggregate in order under concurrent writers, every event exactly once', async () => {
    const org = newId()
    const { d, events } = dispatcher({ batchSize: 7, pollIntervalMs: 50 })
    await d.start()
    // 8 writers, each appending 15 events to its own aggregate in separate transactions, all at once.
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 15; i++) await raise(org, `agg-${w}`, 1, i)
      }),
    )
    await until(async () => (await pendingCount()) === 0 && events().length === 120)
    await d.stop()
    const seqs = events().map((e) => e.seq)
    expect(new Set(seqs).size).toBe(120)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    for (let w = 0; w < 8; w++) {
      const mine = events().filter((e) => (e.payload as { aggregateId: string }).aggregateId === `agg-${w}`)
      expect(mine.map((e) => (e.payload as { n: number }).n)).toEqual(Array.from({ length: 15 }, (_, i) => i))
    }
  })

  it('orders events by when they became visible, so a reader after a later event never misses an earlier id', async () => {
    const org = newId()
    const { d, events } = dispatcher()
    const seen: number[] = []
    const reader = new NodeStream(t.platform.db.owner, (evs) => seen.push(...evs.map((e) => e.id)), quiet)
    await reader.init()
    // A takes the lower id but commits after B.
    const a = await t.platform.db.begin({ orgId: org, userId: null })
    await publishIn(a.db, org, { type: 'x', aggregate: 'x', aggregateId: 'a', rooms: [], payload: 'A' })
    await raise(org, 'b', 1)
    await d.drain()
    reader.wake()
    await reader.settled()
    await a.commit()
    await d.drain()
    reader.wake()
    await reader.settled()
    expect(events().map((e) => e.payload)).toEqual([{ aggregateId: 'b', n: 0 }, 'A'])
    expect(events()[0]!.id).toBeGreaterThan(events()[1]!.id)
    expect(events().map((e) => e.seq)).toEqual([events()[0]!.seq, events()[0]!.seq + 1])
    expect(seen).toEqual(events().map((e) => e.id))
  })

  it('lets several dispatchers run at once without dispatching anything twice', async () => {
    const org = newId()
    await Promise.all(Array.from({ length: 6 }, (_, w) => raise(org, `w${w}`, 20)))
    const nodes = [dispatcher({ batchSize: 5, pollIntervalMs: 30 }), dispatcher({ batchSize: 5, pollIntervalMs: 30 }), dispatcher({ batchSize: 5, pollIntervalMs: 30 })]
    await Promise.all(nodes.map((n) => n.d.start()))
    await until(async () => (await pendingCount()) === 0)
    await Promise.all(nodes.map((n) => n.d.stop()))
    const all = nodes.flatMap((n) => n.events())
    expect(all).toHaveLength(120)
    expect(new Set(all.map((e) => e.id)).size).toBe(120)
    const seqs = all.map((e) => e.seq).sort((a, b) => a - b)
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i))
    // Within each aggregate, stream order is insertion order.
    for (let w = 0; w < 6; w++) {
      const mine = all.filter((e) => (e.payload as { aggregateId: string }).aggregateId === `w${w}`).sort((a, b) => a.seq - b.seq)
      expect(mine.map((e) => (e.payload as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    }
  })

  it('wakes on NOTIFY at once rather than at the next poll', async () => {
    const { d, events } = dispatcher({ pollIntervalMs: 60_000 })
    await d.start()
    const started = Date.now()
    await raise(newId(), 'n', 1)
    await until(() => events().length === 1, 3000)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('re-establishes LISTEN after its database connection is killed', async () => {
    const { d, events } = dispatcher({ pollIntervalMs: 60_000 })
    await d.start()
    expect(d.listening).toBe(true)
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'luminous-outbox-listen' AND datname = current_database()`.execute(t.platform.db.owner)
    await until(() => !d.listening, 3000)
    await until(() => d.listening, 5000)
    await raise(newId(), 'r', 1)
    await until(() => events().length === 1, 3000)
  })
})

describe('pruning', () => {
  it('deletes dispatched events older than the retention, keeping recent and undelivered ones', async () => {
    const org = newId()
    await raise(org, 'p', 4)
    const { d } = dispatcher()
    await d.drain()
    await raise(org, 'p', 1)
    const ids = (await t.platform.db.owner.selectFrom('outbox_events').select('id').orderBy('id').execute()).map((r) => r.id)
    await sql`UPDATE outbox_events SET dispatched_at = now() - interval '8 days' WHERE id IN (${sql.join(ids.slice(0, 2))})`.execute(t.platform.db.owner)
    expect(await pruneDispatchedEvents(t.platform.db.owner, 7, 1)).toBe(2)
    const left = (await t.platform.db.owner.selectFrom('outbox_events').select('id').orderBy('id').execute()).map((r) => r.id)
    expect(left).toEqual(ids.slice(2))
  })

  it('runs as a job that reschedules itself', async () => {
    expect(t.platform.jobs.taskNames).toContain('events.prune')
    await t.platform.jobs.enqueue(t.platform.db.owner, 'events.prune', {}, { jobKey: 'events.prune' })
    await runJobs(t)
    // The run left exactly one future run behind.
    expect((await pendingJobs(t))['events.prune']).toBe(1)
  })
})

describe('query plans', () => {
  it('reads the stream after a node’s head and claims pending events through indexes', async () => {
    const org = newId()
    await t.platform.db.tenant({ orgId: org, userId: null }, (db) =>
      sql`INSERT INTO outbox_events (org_id, type, aggregate, aggregate_id, rooms, payload, seq, dispatched_at)
        SELECT ${org}, 'bulk', 'b', g::text, ARRAY['org:' || ${org}], '{}', g + 1000000, now() FROM generate_series(1, 20000) g`.execute(db),
    )
    await raise(org, 'pending', 3)
    await sql`ANALYZE outbox_events`.execute(t.platform.db.owner)
    const explain = async (q: string) =>
      (await sql.raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${q}`).execute(t.platform.db.owner)).rows.map((r) => r['QUERY PLAN']).join('\n')
    const catchUp = await explain('SELECT * FROM outbox_events WHERE seq > 1019990 ORDER BY seq LIMIT 500')
    expect(catchUp).toMatch(/Index Scan using outbox_events_seq/)
    const claim = await explain('SELECT id FROM outbox_events WHERE dispatched_at IS NULL ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED')
    expect(claim).toMatch(/outbox_events_pending/)
    expect((await streamAfter(t.platform.db.owner, 1019990, 500)).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 1019991 + i))
  })
})
