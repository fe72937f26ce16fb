// The outbox dispatcher: turns committed outbox rows into the ordered delivery stream.
//
// It wakes on `LISTEN luminous_outbox` (the insert trigger of 0001 notifies), on a slow fallback poll
// (a lost NOTIFY or a broken LISTEN connection only delays delivery), and after each batch that filled
// up. A claim locks the single `outbox_stream` row with SKIP LOCKED, so any number of nodes can run the
// dispatcher without double work: the node holding the row claims the oldest undelivered events (id
// order, FOR UPDATE SKIP LOCKED), numbers them `seq = head + 1 ...`, marks them dispatched and commits;
// a node that finds the row taken leaves the work to its holder and looks again shortly after. Because
// numbering is serialized and committed before anyone reads it, seq order is the order in which
// events became visible, with no event ever appearing behind one already delivered.
//
// After the commit the batch is handed to `onDispatched` (the realtime layer fans it out and tells the
// other nodes through the Socket.IO adapter). Delivery is at least once: a node that dies between the
// commit and the hand-over loses nothing, because every node catches up from the stream by seq.
import pg from 'pg'
import type { Executor } from '../db/database.js'
import { sql } from 'kysely'
import './tables.js'

export interface StreamEvent {
  /** The outbox id, the event id clients see (as a string). */
  id: number
  /** Position in the delivery stream. */
  seq: number
  orgId: string
  type: string
  rooms: string[]
  payload: unknown
  createdAt: Date
}

/** A dispatched batch: events `from + 1 .. to` of the stream, in seq order. */
export interface DispatchedBatch {
  from: number
  to: number
  events: StreamEvent[]
}

export interface DispatcherLog {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface DispatcherOptions {
  ownerUrl: string
  /** Fallback poll when no NOTIFY arrives, in milliseconds. */
  pollIntervalMs: number
  batchSize?: number
  log: DispatcherLog
  onDispatched(batch: DispatchedBatch): void
}

export const OUTBOX_CHANNEL = 'luminous_outbox'
const BUSY_RETRY_MS = 250
const ERROR_RETRY_MS = 1000
const RECONNECT_MIN_MS = 250
const RECONNECT_MAX_MS = 10_000

interface StreamRow {
  id: number
  seq: number
  org_id: string
  type: string
  rooms: string[]
  payload: unknown
  created_at: Date
}

export const toStreamEvent = (r: StreamRow): StreamEvent => ({
  id: r.id,
  seq: r.seq,
  orgId: r.org_id,
  type: r.type,
  rooms: r.rooms,
  payload: r.payload,
  createdAt: r.created_at,
})

export class Dispatcher {
  private readonly batchSize: number
  private started = false
  private stopped = false
  private dirty = false
  private loop: Promise<void> | null = null
  private listener: pg.Client | null = null
  private pollTimer: NodeJS.Timeout | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private reconnectTimer: NodeJS.Timeout | null = null
  private reconnectDelay = RECONNECT_MIN_MS

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: DispatcherOptions,
  ) {
    this.batchSize = opts.batchSize ?? 200
  }

  get running(): boolean {
    return this.started && !this.stopped
  }

  /** True while the LISTEN connection is up (a broken one is being re-established). */
  get listening(): boolean {
    return this.listener !== null
  }

  async start(): Promise<void> {
    if (this.running) return
    this.started = true
    this.stopped = false
    await this.listen()
    this.pollTimer = setInterval(() => this.kick(), this.opts.pollIntervalMs)
    this.pollTimer.unref()
    this.kick()
  }

  /** Stops waking up, waits for the claim in progress, and closes the LISTEN connection. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of [this.pollTimer, this.retryTimer, this.reconnectTimer]) if (t) clearTimeout(t)
    this.pollTimer = this.retryTimer = this.reconnectTimer = null
    await this.loop
    const listener = this.listener
    this.listener = null
    await listener?.end().catch(() => {})
  }

  /** Asks for a dispatch round; rounds never overlap, and a request during one runs another after it. */
  kick(): void {
    if (this.stopped) return
    this.dirty = true
    if (this.loop) return
    this.loop = this.run().finally(() => {
      this.loop = null
      if (this.dirty) this.kick()
    })
  }

  /** Dispatches everything pending now, started or not (tests, tools). Resolves when idle. */
  async drain(): Promise<void> {
    this.kick()
    while (this.loop) await this.loop
  }

  private async run(): Promise<void> {
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false
        for (;;) {
          const claimed = await this.claim()
          if (claimed === 'busy') {
            // Another node is dispatching; it will take what we were woken for, but look again in case
            // our event committed just after its last claim.
            this.retryLater(BUSY_RETRY_MS)
            return
          }
          if (claimed < this.batchSize || this.stopped) break
        }
      }
    } catch (err) {
      this.opts.log.error({ err }, 'outbox dispatch failed; retrying')
      this.retryLater(ERROR_RETRY_MS)
    }
  }

  private retryLater(ms: number): void {
    if (this.stopped || this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.kick()
    }, ms)
    this.retryTimer.unref()
  }

  /** One claim transaction. Returns how many events it dispatched, or 'busy'. */
  private async claim(): Promise<number | 'busy'> {
    const client = await this.pool.connect()
    let broken: Error | undefined
    try {
      const [, locked] = (await client.query(
        'BEGIN; SELECT head FROM outbox_stream WHERE id = 1 FOR UPDATE SKIP LOCKED',
      )) as unknown as [pg.QueryResult, pg.QueryResult<{ head: number }>]
      const head = locked.rows[0]?.head
      if (head === undefined) {
        await client.query('ROLLBACK')
        return 'busy'
      }
      const { rows } = await client.query<StreamRow>(
        `WITH batch AS (
           SELECT id FROM outbox_events WHERE dispatched_at IS NULL ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
         ), numbered AS (
           SELECT id, $1::bigint + row_number() OVER (ORDER BY id) AS seq FROM batch
         )
         UPDATE outbox_events o SET seq = n.seq, dispatched_at = now() FROM numbered n WHERE o.id = n.id
         RETURNING o.id, o.seq, o.org_id, o.type, o.rooms, o.payload, o.created_at`,
        [head, this.batchSize],
      )
      if (rows.length === 0) {
        await client.query('ROLLBACK')
        return 0
      }
      const to = head + rows.length
      await client.query(`UPDATE outbox_stream SET head = ${to} WHERE id = 1; COMMIT`)
      rows.sort((a, b) => a.seq - b.seq)
      this.handOver({ from: head, to, events: rows.map(toStreamEvent) })
      return rows.length
    } catch (err) {
      broken = err as Error
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release(broken)
    }
  }

  private handOver(batch: DispatchedBatch): void {
    try {
      this.opts.onDispatched(batch)
    } catch (err) {
      // Committed already; nodes catch up from the stream, so a failing consumer loses nothing.
      this.opts.log.error({ err }, 'outbox consumer failed')
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.ownerUrl, application_name: 'luminous-outbox-listen' })
    let dead = false
    const lost = (err?: Error) => {
      if (dead) return
      dead = true
      if (this.listener === client) this.listener = null
      client.end().catch(() => {})
      if (this.stopped) return
      this.opts.log.warn({ err }, 'outbox LISTEN connection lost; reconnecting')
      this.scheduleReconnect()
    }
    client.on('notification', () => this.kick())
    client.on('error', lost)
    client.on('end', () => lost())
    try {
      await client.connect()
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`)
    } catch (err) {
      lost(err as Error)
      return
    }
    if (this.stopped) {
      dead = true
      await client.end().catch(() => {})
      return
    }
    this.listener = client
    this.reconnectDelay = RECONNECT_MIN_MS
    // Events may have committed while we were not listening.
    this.kick()
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopped) return
    const delay = this.reconnectDelay
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      void this.listen()
    }, delay)
    this.reconnectTimer.unref()
  }
}

/**
 * Deletes dispatched events older than `retentionDays`: the replay window a reconnecting client can
 * ask for. In chunks, so a large backlog never holds a long lock. Returns how many were deleted.
 */
export async function pruneDispatchedEvents(owner: Executor, retentionDays: number, chunk = 5000): Promise<number> {
  let total = 0
  for (;;) {
    const { numAffectedRows } = await sql`
      DELETE FROM outbox_events WHERE id IN (
        SELECT id FROM outbox_events
        WHERE dispatched_at < now() - make_interval(days => ${retentionDays})
        ORDER BY dispatched_at LIMIT ${chunk})`.execute(owner)
    const n = Number(numAffectedRows ?? 0)
    total += n
    if (n < chunk) return total
  }
}
