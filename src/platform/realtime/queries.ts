// SQL of the realtime layer over the outbox's delivery stream (seq order, migration 0040).
import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import { toStreamEvent, type StreamEvent } from '../events/dispatcher.js'
import '../events/tables.js'

const EVENT_COLUMNS = sql`id, seq, org_id, type, rooms, payload, created_at`
type EventRow = Parameters<typeof toStreamEvent>[0]

/** The stream's current end, the last seq handed out. */
export async function streamHead(owner: Executor): Promise<number> {
  const row = await owner.selectFrom('outbox_stream').select('head').where('id', '=', 1).executeTakeFirst()
  return row?.head ?? 0
}

/** Events of every organization after `head`, in seq order (a node's catch-up; owner connection). */
export async function streamAfter(owner: Executor, head: number, limit: number): Promise<StreamEvent[]> {
  const { rows } = await sql<EventRow>`
    SELECT ${EVENT_COLUMNS} FROM outbox_events WHERE seq > ${head} ORDER BY seq LIMIT ${limit}`.execute(owner)
  return rows.map(toStreamEvent)
}

/** Seq of one event of the transaction's organization; null when absent (pruned, foreign) or undelivered. */
export async function seqOfEvent(db: Executor, id: number): Promise<number | null> {
  const row = await db.selectFrom('outbox_events').select('seq').where('id', '=', id).executeTakeFirst()
  return row?.seq ?? null
}

/** One replay page: events for any of `rooms` with seq in (after, upTo], in seq order. */
export async function replayPage(db: Executor, rooms: string[], after: number, upTo: number, limit: number): Promise<StreamEvent[]> {
  const { rows } = await sql<EventRow>`
    SELECT ${EVENT_COLUMNS} FROM outbox_events
    WHERE seq > ${after} AND seq <= ${upTo} AND rooms && ${rooms}::text[]
    ORDER BY seq LIMIT ${limit}`.execute(db)
  return rows.map(toStreamEvent)
}

/** How many events a replay of (after, upTo] would send, counting no further than `cap + 1`. */
export async function countMissed(db: Executor, rooms: string[], after: number, upTo: number, cap: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM outbox_events WHERE seq > ${after} AND seq <= ${upTo} AND rooms && ${rooms}::text[] LIMIT ${cap + 1}
    ) missed`.execute(db)
  return rows[0]?.n ?? 0
}
