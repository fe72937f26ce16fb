// Reconnect replay: a client that comes back with the last event id it saw gets what it missed once, in
// order, and then the live events — including those raised while the replay is being read.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishIn, rooms } from '../../src/platform/events/outbox.js'
import { REPLAY_PAGE } from '../../src/platform/realtime/feed.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { addMember, signUp, type SignedUp } from '../support/factories.js'
import { connectSocket, type TestSocket } from '../support/socket.js'

let t: TestApp
let url: string
const open: TestSocket[] = []

beforeAll(async () => {
  t = await createTestApp({}, { realtime: true })
  url = t.url!
})
afterAll(async () => {
  for (const s of open) s.close()
  await t.close()
})

async function connect(who: { accessToken: string }, lastEventId?: string): Promise<TestSocket> {
  const s = await connectSocket(url, { token: who.accessToken, ...(lastEventId ? { lastEventId } : {}) })
  open.push(s)
  return s
}

async function raise(who: SignedUp, n: number, type = 'thing.changed', start = 0): Promise<void> {
  await t.platform.db.tenant({ orgId: who.organization.id, userId: null }, async (db) => {
    for (let i = start; i < start + n; i++) {
      await publishIn(db, who.organization.id, { type, aggregate: 'thing', aggregateId: 'x', rooms: [rooms.user(who.user.id)], payload: { n: i } })
    }
  })
}

/** Everything raised so far has been dispatched and fanned out on this node. */
async function settle(): Promise<void> {
  await t.platform.realtime.dispatcher.drain()
  await t.platform.realtime.stream.settled()
}

const ns = (s: TestSocket, type = 'thing.changed') => s.events(type).map((e) => e.payload.data.n as number)
const ids = (s: TestSocket) => s.events().map((e) => Number(e.payload.id))

describe('replay after reconnect', () => {
  it('sends the events missed while disconnected once, in order, then live events', async () => {
    const ada = await signUp(t)
    const first = await connect(ada)
    await raise(ada, 1)
    const seen = await first.waitFor('thing.changed')
    first.close()

    await raise(ada, 3, 'thing.changed', 1)
    await settle()
    const again = await connect(ada, seen.id)
    const done = await again.waitFor('sync.complete')
    expect(ns(again)).toEqual([1, 2, 3])
    expect(done).toEqual({ replayed: 3, lastEventId: again.events()[2]!.payload.id })

    await raise(ada, 1, 'thing.changed', 4)
    await again.waitForCount('thing.changed', 4)
    await settle()
    expect(ns(again)).toEqual([1, 2, 3, 4])
  })

  it('loses and repeats nothing when events keep arriving during a multi-page replay', async () => {
    const ada = await signUp(t)
    const first = await connect(ada)
    await raise(ada, 1)
    const seen = await first.waitFor('thing.changed')
    first.close()

    // More than two pages missed, written in one statement.
    const missed = REPLAY_PAGE * 2 + 200
    await t.platform.db.tenant({ orgId: ada.organization.id, userId: null }, (db) =>
      sql`INSERT INTO outbox_events (org_id, type, aggregate, aggregate_id, rooms, payload)
        SELECT ${ada.organization.id}, 'thing.changed', 'thing', 'x', ARRAY[${rooms.user(ada.user.id)}], jsonb_build_object('n', g)
        FROM generate_series(1, ${missed}) g`.execute(db),
    )
    await settle()

    // A writer keeps committing while the client reconnects and its replay is read.
    const live = 60
    const writer = (async () => {
      for (let i = 0; i < live; i++) await raise(ada, 1, 'thing.changed', missed + 1 + i)
    })()
    const again = await connect(ada, seen.id)
    await writer
    await settle()
    const all = await again.waitForCount('thing.changed', missed + live, 15_000)
    await again.waitFor('sync.complete')
    expect(all.map((e) => e.payload.data.n)).toEqual(Array.from({ length: missed + live }, (_, i) => i + 1))
    const got = ids(again)
    expect(new Set(got).size).toBe(got.length)
    expect(got).toEqual([...got].sort((a, b) => a - b))
  })

  it('answers `sync` on a live connection with what it has not been sent, and nothing twice', async () => {
    const ada = await signUp(t)
    const first = await connect(ada)
    await raise(ada, 1)
    const seen = await first.waitFor('thing.changed')
    first.close()
    await raise(ada, 2, 'thing.changed', 1)
    await settle()

    const s = await connect(ada)
    await raise(ada, 1, 'thing.changed', 3)
    await s.waitFor('thing.changed')
    const ack = await s.request('sync', { lastEventId: seen.id })
    expect(ack.replayed).toBe(2)
    // The live event came first; the replay added the two it had missed before connecting.
    expect(ns(s)).toEqual([3, 1, 2])
    expect(await s.request('sync', { lastEventId: seen.id })).toEqual({ replayed: 0, lastEventId: null })
    await settle()
    expect(ns(s)).toEqual([3, 1, 2])
  })

  it('replays only the connection’s own rooms', async () => {
    const ada = await signUp(t)
    const ben = await addMember(t, ada, 'agent')
    const first = await connect(ben)
    await raise(ben, 1)
    const seen = await first.waitFor('thing.changed')
    first.close()
    await raise(ada, 2, 'for.ada')
    await t.platform.db.tenant({ orgId: ada.organization.id, userId: null }, (db) =>
      publishIn(db, ada.organization.id, { type: 'for.org', aggregate: 'o', aggregateId: '1', rooms: [rooms.org(ada.organization.id)], payload: { n: 0 } }),
    )
    await raise(ben, 1, 'thing.changed', 1)
    await settle()
    const again = await connect(ben, seen.id)
    await again.waitFor('sync.complete')
    expect(again.events().map((e) => e.event)).toEqual(['for.org', 'thing.changed'])
  })

  it('replays the whole window from lastEventId "0"', async () => {
    const ada = await signUp(t)
    await raise(ada, 3)
    await settle()
    const s = await connect(ada, '0')
    expect(await s.waitFor('sync.complete')).toMatchObject({ replayed: 3 })
    expect(ns(s)).toEqual([0, 1, 2])
  })

  it('reports an id outside the window, or of another organization, as replay_unavailable and stays live', async () => {
    const ada = await signUp(t)
    const bob = await signUp(t)
    await raise(bob, 1)
    await settle()
    const bobsEvent = await t.platform.db.owner.selectFrom('outbox_events').select('id').where('org_id', '=', bob.organization.id).executeTakeFirstOrThrow()

    const pruned = await connect(ada, '999999999')
    expect((await pruned.waitFor('sync.error')).error).toMatchObject({ code: 'replay_unavailable' })
    const foreign = await connect(ada, String(bobsEvent.id))
    expect((await foreign.waitFor('sync.error')).error.code).toBe('replay_unavailable')
    expect(foreign.events()).toEqual([])

    await raise(ada, 1)
    expect((await foreign.waitFor('thing.changed')).data).toEqual({ n: 0 })
  })

  it('reports a malformed lastEventId as validation_failed', async () => {
    const ada = await signUp(t)
    const s = await connect(ada, 'latest')
    expect((await s.waitFor('sync.error')).error).toMatchObject({ code: 'validation_failed', details: [{ path: 'lastEventId' }] })
  })
})
