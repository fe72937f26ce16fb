// Two pools over one PostgreSQL:
//  - `app`: the role `luminous_app` (no superuser, no BYPASSRLS). Every tenant query runs here inside
//    a transaction that carries the organization (and user) in `app.org_id` / `app.user_id`.
//  - `owner`: the migration owner. Used for migrations, the job queue and system work that must see
//    every tenant (the outbox dispatcher, the trash purge). Module code reaches it only via `db.system`.
import {
  Kysely,
  PostgresDialect,
  SingleConnectionProvider,
  type CompiledQuery,
  type DatabaseConnection,
  type QueryResult,
} from 'kysely'
import pg from 'pg'
import type { Database } from './schema.js'

export type { Database } from './schema.js'
export type Executor = Kysely<Database>

// int8 (counts, money in minor units) as JS numbers: exact up to 2^53, far beyond any amount we hold.
pg.types.setTypeParser(20, (v) => {
  const n = Number(v)
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${v} exceeds the safe integer range`)
  return n
})
// `date` stays a plain YYYY-MM-DD string rather than a Date at local midnight.
pg.types.setTypeParser(1082, (v) => v)

export const APP_ROLE = 'luminous_app'

export interface TenantContext {
  orgId: string | null
  userId: string | null
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v)

// Statements of tenant transactions are prepared by name, once per connection, so PostgreSQL plans each
// once per connection instead of on every request: under row-level security planning a short query
// costs more than running it (docs/benchmarks.md). At most MAX_PREPARED per connection; the rest run
// unnamed. A statement whose result type changed under it (another node's migration added a column to
// a `SELECT *`) fails once with 0A000 and is prepared afresh under a new name on its next use.
const MAX_PREPARED = 200
const RESULT_TYPE_CHANGED = '0A000'

class PreparedStatements {
  private readonly names = new Map<string, string>()
  /** Prelude name → its name on this connection. */
  readonly preludes = new Map<string, string>()
  private counter = 0
  next(): number {
    return ++this.counter
  }
  /** The statement's name on this connection, or undefined when it should run unnamed. */
  nameFor(sql: string): string | undefined {
    let name = this.names.get(sql)
    if (name === undefined && this.names.size < MAX_PREPARED) {
      name = `lum_${this.next()}`
      this.names.set(sql, name)
    }
    return name
  }
  forget(sql: string): void {
    this.names.delete(sql)
  }
}

const statementsByClient = new WeakMap<pg.PoolClient, PreparedStatements>()
function statementsOf(client: pg.PoolClient): PreparedStatements {
  let s = statementsByClient.get(client)
  if (!s) statementsByClient.set(client, (s = new PreparedStatements()))
  return s
}

const resultTypeChanged = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === RESULT_TYPE_CHANGED

/** A Kysely connection over one checked-out `pg` client. */
class ClientConnection implements DatabaseConnection {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly statements: PreparedStatements,
  ) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const name = this.statements.nameFor(q.sql)
    let r: pg.QueryResult
    try {
      r = await this.client.query({ ...(name ? { name } : {}), text: q.sql, values: q.parameters as unknown[] })
    } catch (err) {
      if (name && resultTypeChanged(err)) this.statements.forget(q.sql)
      throw err
    }
    return {
      rows: r.rows as R[],
      ...(r.command === 'INSERT' || r.command === 'UPDATE' || r.command === 'DELETE' || r.command === 'MERGE'
        ? { numAffectedRows: BigInt(r.rowCount ?? 0) }
        : {}),
    }
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported inside a tenant transaction; use COPY through db.client')
  }
}

/**
 * An extra statement sent with BEGIN (the auth guard's session check), prepared on first use on each
 * connection (`PREPARE` rides in the same round trip) and then only EXECUTEd.
 */
export interface Prelude {
  /** Unique statement name (an identifier). */
  name: string
  /** What follows the name in `PREPARE name ...`: `(uuid, uuid) AS SELECT ... $1 ... $2`. */
  definition: string
  /** Literal arguments, validated by the caller (UUIDs, hex) because they are written into the text. */
  args: string[]
}

export interface TxHandle {
  db: Executor
  client: pg.PoolClient
  /** Rows of the extra statement sent with BEGIN (see `begin`). */
  preludeRows: Record<string, unknown>[]
  commit(): Promise<void>
  rollback(): Promise<void>
}

export interface DbOptions {
  ownerUrl: string
  appUrl: string
  poolSize: number
  /** Connection options for the app pool when it must switch role (no separate login for the app role). */
  appRoleOption: boolean
}

export class Db {
  readonly ownerPool: pg.Pool
  readonly appPool: pg.Pool
  /** Kysely over the app pool with no tenant set: sees only global tables. */
  readonly app: Executor
  /** Kysely over the owner pool: bypasses row-level security. System work only. */
  readonly owner: Executor

  constructor(readonly options: DbOptions) {
    this.ownerPool = new pg.Pool({ connectionString: options.ownerUrl, max: 4, application_name: 'luminous-owner' })
    this.appPool = new pg.Pool({
      connectionString: options.appUrl,
      max: options.poolSize,
      application_name: 'luminous',
      ...(options.appRoleOption ? { options: `-c role=${APP_ROLE}` } : {}),
    })
    // An idle client that errors (server restart) must not crash the process.
    this.ownerPool.on('error', () => {})
    this.appPool.on('error', () => {})
    this.app = new Kysely<Database>({ dialect: new PostgresDialect({ pool: this.appPool }) })
    this.owner = new Kysely<Database>({ dialect: new PostgresDialect({ pool: this.ownerPool }) })
  }

  // Shared by every per-transaction Kysely: only the connection provider differs.
  private readonly txDialect = new PostgresDialect({ pool: { connect: () => Promise.reject(new Error('unused')) } as unknown as pg.Pool })
  private readonly txDriver = this.txDialect.createDriver()

  private bind(base: Executor, client: pg.PoolClient): Executor {
    const connection = new ClientConnection(client, statementsOf(client))
    return new Kysely<Database>({
      config: { dialect: this.txDialect },
      dialect: this.txDialect,
      driver: this.txDriver,
      executor: base.getExecutor().withConnectionProvider(new SingleConnectionProvider(connection)),
    })
  }

  /**
   * Opens a tenant transaction in one round trip: BEGIN, the tenant settings and (optionally) a prelude
   * statement whose rows come back as `preludeRows` — the auth guard uses it to check the session in
   * the same trip; it is prepared on its first use on a connection. Ids are validated as UUIDs before
   * they are written into the text.
   */
  async begin(ctx: TenantContext, prelude?: Prelude): Promise<TxHandle> {
    if (ctx.orgId !== null && !isUuid(ctx.orgId)) throw new TypeError('orgId must be a UUID')
    if (ctx.userId !== null && !isUuid(ctx.userId)) throw new TypeError('userId must be a UUID')
    const client = await this.appPool.connect()
    let released = false
    const release = (err?: Error) => {
      if (!released) {
        released = true
        client.release(err)
      }
    }
    let text = `BEGIN; SELECT set_config('app.org_id', '${ctx.orgId ?? ''}', true), set_config('app.user_id', '${ctx.userId ?? ''}', true);`
    const statements = statementsOf(client)
    let preparing = false
    if (prelude) {
      let name = statements.preludes.get(prelude.name)
      if (name === undefined) {
        name = `${prelude.name}_${statements.next()}`
        text += ` PREPARE ${name} ${prelude.definition};`
        preparing = true
      }
      text += ` EXECUTE ${name}(${prelude.args.map((a) => `'${a}'`).join(', ')});`
      statements.preludes.set(prelude.name, name)
    }
    let preludeRows: Record<string, unknown>[] = []
    try {
      const results = (await client.query(text)) as unknown as pg.QueryResult[]
      if (prelude) preludeRows = results.at(-1)?.rows ?? []
    } catch (err) {
      // Whether PREPARE got through is unknown (or its result type changed): use a new name next time.
      if (prelude && (preparing || resultTypeChanged(err))) statements.preludes.delete(prelude.name)
      await client.query('ROLLBACK').catch(() => {})
      release()
      throw err
    }
    return {
      db: this.bind(this.app, client),
      client,
      preludeRows,
      commit: async () => {
        try {
          await client.query('COMMIT')
          release()
        } catch (err) {
          release(err as Error)
          throw err
        }
      },
      rollback: async () => {
        try {
          await client.query('ROLLBACK')
          release()
        } catch (err) {
          release(err as Error)
        }
      },
    }
  }

  /** Runs `fn` in a transaction scoped to the organization (and user) in `ctx`. */
  async tenant<T>(ctx: TenantContext, fn: (db: Executor) => Promise<T>): Promise<T> {
    const tx = await this.begin(ctx)
    try {
      const result = await fn(tx.db)
      await tx.commit()
      return result
    } catch (err) {
      await tx.rollback()
      throw err
    }
  }

  /** Runs `fn` in an owner transaction that sees every tenant. For system jobs, never for requests. */
  async system<T>(fn: (db: Executor) => Promise<T>): Promise<T> {
    return this.owner.transaction().execute(fn)
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.app.destroy(), this.owner.destroy()])
  }
}
