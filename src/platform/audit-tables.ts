import type { ColumnType, Generated } from 'kysely'

export interface AuditLogsTable {
  id: Generated<string>
  org_id: string
  actor_type: 'user' | 'api_key' | 'system'
  actor_id: string | null
  entity: string
  entity_id: string
  action: string
  changes: ColumnType<unknown, string | null, string | null>
  request_id: string | null
  ip: string | null
  created_at: Generated<Date>
}

export interface OutboxEventsTable {
  id: Generated<number>
  event_id: Generated<string>
  org_id: string
  type: string
  aggregate: string
  aggregate_id: string
  rooms: string[]
  payload: ColumnType<unknown, string, string>
  created_at: Generated<Date>
  dispatched_at: Date | null
}

export interface IdempotencyKeysTable {
  org_id: string
  principal: string
  key: string
  method: string
  path: string
  request_hash: string
  status: number | null
  response: ColumnType<unknown, string | null, string | null>
  created_at: Generated<Date>
}

declare module './db/schema.js' {
  interface Database {
    audit_logs: AuditLogsTable
    outbox_events: OutboxEventsTable
    idempotency_keys: IdempotencyKeysTable
  }
}
