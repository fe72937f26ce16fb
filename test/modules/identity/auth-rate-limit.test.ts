import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../support/app.js'

let t: TestApp
beforeAll(async () => {
  t = await createTestApp({ AUTH_RATE_LIMIT_MAX: '3' })
})
afterAll(() => t.close())

describe('per-IP limit on auth routes', () => {
  it('answers 429 rate_limited with Retry-After past AUTH_RATE_LIMIT_MAX a minute, per route', async () => {
    const from = (remoteAddress: string, url: string, payload: Record<string, unknown>) => t.request({ method: 'POST', url, payload, remoteAddress })
    const ip = '203.0.113.50'
    const first = await from(ip, '/api/auth/login', { email: 'a@example.com', password: 'x' })
    expect(first.headers['ratelimit-limit']).toBe('3')
    await from(ip, '/api/auth/login', { email: 'a@example.com', password: 'x' })
    await from(ip, '/api/auth/login', { email: 'a@example.com', password: 'x' })
    const over = await from(ip, '/api/auth/login', { email: 'a@example.com', password: 'x' })
    expect(over.statusCode).toBe(429)
    expect(over.data.error.code).toBe('rate_limited')
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0)
    // Another address is not affected, nor is refresh (its token is unguessable; many users share an IP).
    expect((await from('203.0.113.51', '/api/auth/login', { email: 'b@example.com', password: 'x' })).statusCode).toBe(401)
    expect((await from(ip, '/api/auth/refresh', { refreshToken: 'x' })).statusCode).toBe(401)
  })
})
