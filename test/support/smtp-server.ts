// A real SMTP server on 127.0.0.1 (the smtp-server package) that keeps what it receives, for tests of
// outgoing mail. `failNext(n)` makes the next n deliveries fail with a temporary 451, as a busy relay would.
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string | null
  to: string[]
  /** The raw RFC 5322 message as the server received it. */
  raw: string
  /** Header values by lower-case name (the first of each; folded lines unfolded). */
  headers: Record<string, string>
  /** Everything after the header block. */
  body: string
}

export interface TestSmtpServer {
  url: string
  received: ReceivedMail[]
  failNext(n: number): void
  close(): Promise<void>
}

function parse(raw: string): Pick<ReceivedMail, 'headers' | 'body'> {
  const split = raw.indexOf('\r\n\r\n')
  const head = split === -1 ? raw : raw.slice(0, split)
  const body = split === -1 ? '' : raw.slice(split + 4)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    const name = line.slice(0, i).trim().toLowerCase()
    headers[name] ??= line.slice(i + 1).trim()
  }
  return { headers, body }
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = []
  let failures = 0
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (it would need a trusted certificate) and no auth.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (failures > 0) {
          failures--
          const err = Object.assign(new Error('Try again later'), { responseCode: 451 })
          callback(err)
          return
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        const from = session.envelope.mailFrom
        received.push({
          from: from ? from.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parse(raw),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    failNext(n) {
      failures = n
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
