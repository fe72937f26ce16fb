// One-line set-up for tests, through the real HTTP API: `const ada = await signUp(t)` registers a user
// with their own organization and tokens; `await addMember(t, ada, 'agent')` adds someone to it.
import { randomBytes } from 'node:crypto'
import type { Role } from '../../src/platform/auth/permissions.js'
import type { TestApp } from './app.js'

export interface SignedUp {
  /** The user DTO as the API returned it. */
  user: { id: string; email: string; firstName: string; lastName: string; [k: string]: unknown }
  organization: { id: string; name: string; slug: string }
  role: Role
  accessToken: string
  refreshToken: string
  email: string
  password: string
}

export interface SignUpOverrides {
  firstName?: string
  lastName?: string
  businessName?: string
  email?: string
  phoneNumber?: string
  password?: string
}

let counter = 0
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(3).toString('hex')}`

function expectStatus(res: { statusCode: number; body: string }, status: number, what: string): void {
  if (res.statusCode !== status) throw new Error(`${what} answered ${res.statusCode}: ${res.body}`)
}

/** Registers a new user and organization through POST /api/v1/auth/register. */
export async function signUp(t: TestApp, overrides: SignUpOverrides = {}): Promise<SignedUp> {
  const id = unique()
  const email = overrides.email ?? `user-${id}@example.com`
  const password = overrides.password ?? `Tr0ub4dor&3-${id}`
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: {
      firstName: overrides.firstName ?? 'Ada',
      lastName: overrides.lastName ?? 'Lovelace',
      businessName: overrides.businessName ?? `Business ${id}`,
      email,
      phoneNumber: overrides.phoneNumber ?? '+14155552671',
      password,
      confirmPassword: password,
    },
  })
  expectStatus(res, 201, 'register')
  return {
    user: res.data.user,
    organization: res.data.organization,
    role: res.data.role,
    accessToken: res.data.tokens.accessToken,
    refreshToken: res.data.tokens.refreshToken,
    email,
    password,
  }
}

/**
 * A new user who is a member of `owner`'s organization with `role`, holding tokens for that
 * organization (the membership is written as the database owner, then the user switches to it).
 */
export async function addMember(t: TestApp, owner: Pick<SignedUp, 'organization'>, role: Role, overrides: SignUpOverrides = {}): Promise<SignedUp> {
  const member = await signUp(t, overrides)
  await t.platform.db.owner
    .insertInto('memberships')
    .values({ org_id: owner.organization.id, user_id: member.user.id, role })
    .execute()
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/auth/switch-organization',
    token: member.accessToken,
    payload: { organizationId: owner.organization.id },
  })
  expectStatus(res, 200, 'switch-organization')
  return {
    ...member,
    user: res.data.user,
    organization: res.data.organization,
    role: res.data.role,
    accessToken: res.data.tokens.accessToken,
    refreshToken: res.data.tokens.refreshToken,
  }
}
