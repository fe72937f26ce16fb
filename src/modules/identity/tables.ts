import type { ColumnType, Generated, Selectable } from 'kysely'

export interface UsersTable {
  id: string
  email: string
  password_hash: string
  first_name: string
  last_name: string
  phone_number: string | null
  email_verified_at: Date | null
  avatar_file_id: string | null
  locale: Generated<string>
  timezone: Generated<string>
  settings: ColumnType<Record<string, unknown>, string | undefined, string>
  last_org_id: string | null
  password_changed_at: Generated<Date>
  created_at: Generated<Date>
  updated_at: Generated<Date>
  deleted_at: Date | null
}

export interface SessionsTable {
  id: string
  user_id: string
  org_id: string
  user_agent: string | null
  ip: string | null
  created_at: Generated<Date>
  last_used_at: Generated<Date>
  expires_at: Date
  revoked_at: Date | null
  revoked_reason: string | null
}

export interface RefreshTokensTable {
  token_hash: string
  session_id: string
  created_at: Generated<Date>
  used_at: Date | null
}

export interface LoginThrottlesTable {
  key: string
  failures: number
  last_failure_at: Date
  locked_until: Date | null
}

export type UserTokenPurpose = 'password_reset' | 'email_verification'

export interface UserTokensTable {
  token_hash: string
  user_id: string
  purpose: UserTokenPurpose
  email: string
  created_at: Generated<Date>
  expires_at: Date
  used_at: Date | null
}

export type UsersRow = Selectable<UsersTable>

declare module '../../platform/db/schema.js' {
  interface Database {
    users: UsersTable
    sessions: SessionsTable
    refresh_tokens: RefreshTokensTable
    login_throttles: LoginThrottlesTable
    user_tokens: UserTokensTable
  }
}
