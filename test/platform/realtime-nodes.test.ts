// Two Luminous nodes in separate processes on one database: an event raised through node 1's API
// reaches a socket connected to node 2 through the Socket.IO adapter — PostgreSQL by default, Redis
// when TEST_REDIS_URL names a server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { notify } from '../../src/modules/notifications/index.js'
import { rooms } from '../../src/platform/events/outbox.js'
import { startServer } from '../../src/server.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { signUp, type SignedUp } from '../support/factories.js'
import { nodeEnv, startNode, type NodeProcess } from '../support/nodes.js'
import { connectSocket, type TestSocket } from '../support/socket.js'

const redisUrl = process.env.TEST_REDIS_URL
if (!redisUrl) console.warn('realtime-nodes: TEST_REDIS_URL is not set; skipping the Redis adapter case (.ci/run starts a Redis)')

let t: TestApp
let ada: SignedUp

beforeAll(async () => {
  // Only for the database, sign-up and the service call: this app does not dispatch.
  t = await createTestApp()
  ada = await signUp(t)
})
afterAll(async () => {
  await t.close()
})

function crossNode(adapter: 'postgres' | 'redis', extra: Record<string, string>) {
  let node1: NodeProcess
  let node2: NodeProcess
  const sockets: TestSocket[] = []

  beforeAll(async () => {
    // Node 1 dispatches; node 2 only serves, and polls so rarely that only the adapter can wake it in time.
    ;[node1, node2] = await Promise.all([
      startNode(nodeEnv(t, { ...extra, EVENTS_POLL_INTERVAL: '600000' })),
      startNode(nodeEnv(t, { ...extra, EVENTS_POLL_INTERVAL: '600000', EVENTS_DISPATCHER: 'false' })),
    ])
  })
  afterAll(async () => {
    for (const s of sockets) s.close()
    await Promise.all([node1?.stop(), node2?.stop()])
  })

  it(`uses the ${adapter} adapter on both nodes`, () => {
    expect([node1.adapter, node2.adapter]).toEqual([adapter, adapter])
  })

  it('delivers an event raised through node 1’s API to a socket on node 2', async () => {
    const n = await t.platform.db.tenant({ orgId: ada.organization.id, userId: null }, (db) =>
      notify({ db, orgId: ada.organization.id }, { userId: ada.user.id, type: 'order.created', title: `Order via ${adapter}` }),
    )
    const onNode2 = await connectSocket(node2.url, { token: ada.accessToken })
    const onNode1 = await connectSocket(node1.url, { token: ada.accessToken })
    sockets.push(onNode2, onNode1)

    const res = await fetch(`${node1.url}/api/v1/notifications/${n.id}/read`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ada.accessToken}` },
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { readAt: string }

    const started = Date.now()
    const seen = await onNode2.waitFor('notification.read', (p) => p.data.id === n.id, 10_000)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(seen.data).toEqual({ ...n, readAt: body.readAt })
    const local = await onNode1.waitFor('notification.read', (p) => p.data.id === n.id)
    expect(local.id).toBe(seen.id)
  })

  it('carries ephemeral broadcasts between nodes as well', async () => {
    const onNode2 = await connectSocket(node2.url, { token: ada.accessToken })
    sockets.push(onNode2)
    // A third node, in this process, on the same database and adapter.
    const sender = await startServer(loadConfig(nodeEnv(t, { ...extra, EVENTS_DISPATCHER: 'false' })))
    try {
      expect(sender.platform.realtime.kind).toBe(adapter)
      sender.platform.realtime.emit([rooms.org(ada.organization.id)], 'typing.start', { from: 'sender' })
      expect(await onNode2.waitFor('typing.start', () => true, 10_000)).toEqual({ from: 'sender' })
    } finally {
      await sender.close()
    }
  })
}

describe('across two node processes, PostgreSQL adapter', () => crossNode('postgres', {}))
describe.skipIf(!redisUrl)('across two node processes, Redis adapter', () => crossNode('redis', { REDIS_URL: redisUrl ?? '' }))
