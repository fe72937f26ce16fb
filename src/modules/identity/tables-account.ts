// Tables of the signed-in user's account security: TOTP two-factor and recovery codes (0015).
import type { Generated } from 'kysely'

export interface UserTwoFactorTable {
  user_id: string
  secret_encrypted: string
  enabled_at: Date | null
  last_used_step: number | null
  failed_attempts: Generated<number>
  last_failed_at: Date | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface UserRecoveryCodesTable {
  id: Generated<string>
  user_id: string
  code_hash: string
  used_at: Date | null
  created_at: Generated<Date>
}

declare module '../../platform/db/schema.js' {
  interface Database {
    user_two_factor: UserTwoFactorTable
    user_recovery_codes: UserRecoveryCodesTable
  }
}
