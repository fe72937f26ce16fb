// One Luminous node as a child process, for tests that need several nodes on one database:
//   node --import tsx test/support/node-process.ts   (configured through the environment, like npm start)
// Prints one line `{"ready":"http://127.0.0.1:<port>","adapter":"postgres"}` when it serves, and shuts
// down gracefully on SIGTERM.
import { loadConfig } from '../../src/config.js'
import { startServer } from '../../src/server.js'

const server = await startServer(loadConfig(process.env))
process.stdout.write(`${JSON.stringify({ ready: server.url, adapter: server.platform.realtime.kind })}\n`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`)
      process.exit(1)
    },
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
