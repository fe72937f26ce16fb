import type { Generated, Selectable } from 'kysely'

export type MailStatus = 'queued' | 'sent' | 'stored' | 'failed'

export interface MailMessagesTable {
  id: string
  org_id: string | null
  to_address: string
  subject: string
  text_body: string | null
  html_body: string | null
  status: Generated<MailStatus>
  attempts: Generated<number>
  last_error: string | null
  provider_message_id: string | null
  created_at: Generated<Date>
  sent_at: Date | null
}

export type MailMessageRow = Selectable<MailMessagesTable>

declare module '../db/schema.js' {
  interface Database {
    mail_messages: MailMessagesTable
  }
}
