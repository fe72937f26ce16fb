import type { ColumnType, Generated } from 'kysely'

export interface NotificationsTable {
  id: string
  org_id: string
  user_id: string
  type: string
  title: string
  body: string | null
  data: ColumnType<Record<string, unknown>, string, string>
  read_at: Date | null
  created_at: Generated<Date>
}

declare module '../../platform/db/schema.js' {
  interface Database {
    notifications: NotificationsTable
  }
}
