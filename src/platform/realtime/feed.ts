// What one connection has been sent, so that every event reaches it exactly once and in stream order,
// replay included.
//
// The feed remembers a range of the stream, (low, high]: every event of its rooms in that range has been
// emitted on this connection. Live events extend `high`; a replay (reconnect with `lastEventId`, or a
// `sync` request) reads (from, low] from the database and then lowers `low`. While a replay runs, live
// events are held back and sent after it — they are all above `low`, so none is sent twice, and since
// the replay's upper bound is fixed when the hold starts, none falls between the two.
import type { StreamEvent } from '../events/dispatcher.js'

export interface WireEvent {
  /** The outbox id, as a string: pass the last one seen as `lastEventId` when reconnecting. */
  id: string
  type: string
  data: unknown
  createdAt: string
}

export const toWire = (e: StreamEvent): WireEvent => ({
  id: String(e.id),
  type: e.type,
  data: e.payload,
  createdAt: e.createdAt.toISOString(),
})

export interface FeedTarget {
  emit(event: string, payload: WireEvent): unknown
}

/** Reads one page of the stream for this connection's rooms: seq in (after, upTo], in seq order. */
export type PageReader = (after: number, upTo: number, limit: number) => Promise<StreamEvent[]>

export interface ReplayResult {
  replayed: number
  /** Id of the last event replayed; null when there was nothing to replay. */
  lastEventId: string | null
}

export const REPLAY_PAGE = 500

export class PartialReplayError extends Error {
  constructor(cause: unknown) {
    super('Replay failed after some events were sent', { cause })
  }
}

export class SocketFeed {
  private low: number
  private high: number
  private holds = 0
  private held: StreamEvent[] = []
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly target: FeedTarget,
    readonly orgId: string,
    /** The node's stream head when the connection was registered: live delivery starts after it. */
    head: number,
  ) {
    this.low = head
    this.high = head
  }

  /** A live event from the node's stream, already routed to one of this connection's rooms. */
  push(e: StreamEvent): void {
    // Rooms such as user:<id> are shared by a user's connections in all their organizations; a
    // connection only ever receives its own organization's events.
    if (e.orgId !== this.orgId) return
    if (this.holds > 0) this.held.push(e)
    else this.send(e)
  }

  private send(e: StreamEvent): void {
    if (e.seq <= this.high) return
    this.high = e.seq
    this.target.emit(e.type, toWire(e))
  }

  /**
   * Replays the events after stream position `from(upTo)` (resolved lazily, e.g. from a client's
   * lastEventId; `upTo` is where this connection's sent range begins) that it has not been sent. Live events wait from this call until the
   * replay ends. Replays run one at a time. A failure after some events went out rejects with a
   * PartialReplayError: the caller must close the connection, so that the client reconnects and asks
   * again; any other rejection sent nothing.
   */
  replay(from: (upTo: number) => Promise<number>, read: PageReader): Promise<ReplayResult> {
    this.holds++
    const run = this.queue.then(async () => {
      try {
        const upTo = this.low
        const start = await from(upTo)
        if (start >= upTo) return { replayed: 0, lastEventId: null }
        let after = start
        let replayed = 0
        let lastEventId: string | null = null
        for (;;) {
          let page: StreamEvent[]
          try {
            page = await read(after, upTo, REPLAY_PAGE)
          } catch (err) {
            if (replayed > 0) throw new PartialReplayError(err)
            throw err
          }
          for (const e of page) {
            this.target.emit(e.type, toWire(e))
            after = e.seq
            lastEventId = String(e.id)
            replayed++
          }
          if (page.length < REPLAY_PAGE) break
        }
        this.low = start
        return { replayed, lastEventId }
      } finally {
        if (--this.holds === 0) {
          const held = this.held
          this.held = []
          for (const e of held) this.send(e)
        }
      }
    })
    this.queue = run.catch(() => {})
    return run
  }

  /** The stream range (low, high] this connection has been sent. */
  get range(): { low: number; high: number } {
    return { low: this.low, high: this.high }
  }
}
