// The per-connection feed on its own: exactly once and in order around a replay, deterministically
// (the reader is paused while live events arrive).
import { describe, expect, it } from 'vitest'
import type { StreamEvent } from '../../src/platform/events/dispatcher.js'
import { PartialReplayError, SocketFeed, type PageReader } from '../../src/platform/realtime/feed.js'
import { TokenBucket } from '../../src/platform/realtime/rate-limit.js'

const ORG = '01900000-0000-7000-8000-0000000000aa'
const ev = (seq: number, orgId = ORG): StreamEvent => ({
  id: seq + 100,
  seq,
  orgId,
  type: 't',
  rooms: ['r'],
  payload: seq,
  createdAt: new Date(0),
})

function target() {
  const sent: number[] = []
  return { sent, emit: (_: string, w: { data: unknown }) => sent.push(w.data as number) }
}

/** A reader over seqs 1..n whose first page waits for `gate`. */
function reader(n: number, gate?: Promise<void>): PageReader {
  return async (after, upTo, limit) => {
    if (gate) await gate
    const out: StreamEvent[] = []
    for (let s = after + 1; s <= Math.min(upTo, n) && out.length < limit; s++) out.push(ev(s))
    return out
  }
}

describe('SocketFeed', () => {
  it('holds live events during a replay and sends them after it, none twice', async () => {
    const tg = target()
    const feed = new SocketFeed(tg, ORG, 10)
    let open!: () => void
    const gate = new Promise<void>((r) => (open = r))
    const replay = feed.replay(async () => 4, reader(10, gate))
    feed.push(ev(11))
    feed.push(ev(12))
    feed.push(ev(11))
    expect(tg.sent).toEqual([])
    open()
    expect(await replay).toEqual({ replayed: 6, lastEventId: '110' })
    expect(tg.sent).toEqual([5, 6, 7, 8, 9, 10, 11, 12])
    feed.push(ev(12))
    feed.push(ev(13))
    expect(tg.sent).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13])
    expect(feed.range).toEqual({ low: 4, high: 13 })
  })

  it('replays nothing already sent on the connection', async () => {
    const tg = target()
    const feed = new SocketFeed(tg, ORG, 5)
    feed.push(ev(6))
    expect(await feed.replay(async () => 5, reader(6))).toEqual({ replayed: 0, lastEventId: null })
    expect(await feed.replay(async () => 3, reader(6))).toMatchObject({ replayed: 2 })
    expect(await feed.replay(async () => 3, reader(6))).toMatchObject({ replayed: 0 })
    expect(tg.sent).toEqual([6, 4, 5])
  })

  it('ignores other organizations’ events', () => {
    const tg = target()
    const feed = new SocketFeed(tg, ORG, 0)
    feed.push(ev(1, '01900000-0000-7000-8000-0000000000bb'))
    feed.push(ev(2))
    expect(tg.sent).toEqual([2])
  })

  it('says when a replay failed after sending part of it, and releases held events either way', async () => {
    const tg = target()
    const feed = new SocketFeed(tg, ORG, 1000)
    let calls = 0
    const failing: PageReader = async (after, upTo, limit) => {
      if (calls++ > 0) throw new Error('connection lost')
      return reader(1000)(after, upTo, limit)
    }
    const replay = feed.replay(async () => 0, failing)
    feed.push(ev(1001))
    await expect(replay).rejects.toBeInstanceOf(PartialReplayError)
    expect(tg.sent.at(-1)).toBe(1001)
    await expect(feed.replay(async () => Promise.reject(new Error('lookup failed')), reader(0))).rejects.toThrow('lookup failed')
  })
})

describe('TokenBucket', () => {
  it('allows a minute’s allowance at once, then refills continuously', () => {
    let now = 0
    const b = new TokenBucket(6, () => now)
    for (let i = 0; i < 6; i++) expect(b.take()).toBe(true)
    expect(b.take()).toBe(false)
    expect(b.retryAfter()).toBe(10)
    now += 10_000
    expect(b.take()).toBe(true)
    expect(b.take()).toBe(false)
  })

  it('calls a client abusive after a minute’s worth of refusals', () => {
    const b = new TokenBucket(2, () => 0)
    b.take()
    b.take()
    for (let i = 0; i < 2; i++) b.take()
    expect(b.abusive).toBe(false)
    b.take()
    expect(b.abusive).toBe(true)
  })
})
