// Accounts for the benchmarks, created through the public API like any client would.
export interface Account {
  email: string
  password: string
  userId: string
  orgId: string
  accessToken: string
}

export const BENCH_PASSWORD = 'bench-password-not-common-42'

export async function register(baseUrl: string, n: number): Promise<Account> {
  const email = `bench-${n}-${Date.now()}@example.com`
  const res = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      firstName: 'Bench',
      lastName: `User ${n}`,
      businessName: `Bench Business ${n}`,
      email,
      phoneNumber: '+14155550123',
      password: BENCH_PASSWORD,
      confirmPassword: BENCH_PASSWORD,
    }),
  })
  const body = (await res.json()) as {
    user?: { id: string }
    organization?: { id: string }
    tokens?: { accessToken: string }
  }
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`register answered ${res.status}: ${JSON.stringify(body)}`)
  return {
    email,
    password: BENCH_PASSWORD,
    userId: body.user!.id,
    orgId: body.organization!.id,
    accessToken: body.tokens!.accessToken,
  }
}
