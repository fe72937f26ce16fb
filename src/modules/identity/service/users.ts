// Creating users, shared by registration and by invitations that create an account.
import type { DatabaseError } from 'pg'
import type { Executor } from '../../../platform/db/database.js'
import { ConflictError } from '../../../platform/errors.js'
import { assertPasswordPolicy, hashPassword } from '../password.js'
import { normalizePhone } from '../phone.js'
import { insertUser } from '../queries.js'
import type { UsersRow } from '../tables.js'

export const normalizeEmail = (email: string): string => email.trim().toLowerCase()

export const isUniqueViolation = (err: unknown, constraint: string): boolean =>
  typeof err === 'object' && err !== null && (err as DatabaseError).code === '23505' && (err as DatabaseError).constraint === constraint

export const emailTaken = () =>
  new ConflictError('An account with this e-mail already exists', 'email_taken', [{ path: 'email', message: 'is already registered' }])

export interface CreateUserInput {
  id: string
  email: string
  password: string
  firstName: string
  lastName: string
  phoneNumber?: string | null
  emailVerified?: boolean
}

/**
 * Creates a user with a hashed password (the policy applies). The transaction's tenant context must
 * carry `userId: input.id`: row-level security lets a user row be written only by its own user.
 */
export async function createUser(db: Executor, input: CreateUserInput): Promise<UsersRow> {
  const email = normalizeEmail(input.email)
  assertPasswordPolicy(input.password, { email })
  const phone = input.phoneNumber ? normalizePhone(input.phoneNumber) : null
  const passwordHash = await hashPassword(input.password)
  try {
    return await insertUser(db, {
      id: input.id,
      email,
      password_hash: passwordHash,
      first_name: input.firstName.trim(),
      last_name: input.lastName.trim(),
      phone_number: phone,
      email_verified_at: input.emailVerified ? new Date() : null,
      avatar_file_id: null,
      last_org_id: null,
      deleted_at: null,
    })
  } catch (err) {
    if (isUniqueViolation(err, 'users_email_key')) throw emailTaken()
    throw err
  }
}
