// Kysely types for the delivery stream (migration 0040): the outbox's `seq` and the stream head.
import type { Generated } from 'kysely'
import '../audit-tables.js'

export interface OutboxStreamTable {
  id: number
  head: number
}

export interface SocketIoAttachmentsTable {
  id: Generated<number>
  created_at: Generated<Date>
  payload: Buffer
}

declare module '../audit-tables.js' {
  interface OutboxEventsTable {
    /** Position in the delivery stream, given by the dispatcher; null until delivered. */
    seq: number | null
  }
}

declare module '../db/schema.js' {
  interface Database {
    outbox_stream: OutboxStreamTable
    socket_io_attachments: SocketIoAttachmentsTable
  }
}
