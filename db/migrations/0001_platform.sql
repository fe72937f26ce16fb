-- Platform foundation: extensions, id generation, tenant context helpers, audit log, outbox,
-- idempotency keys. Every tenant-owned table calls luminous_tenant_table() to get its RLS policy.

CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- UUIDv7 (time-ordered) for PostgreSQL 15+; PostgreSQL 18 has uuidv7() built in, older ones do not.
CREATE OR REPLACE FUNCTION luminous_uuid7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1), 'hex')::uuid
$$;

-- The tenant context of the current transaction, set by the application with set_config(..., true).
CREATE OR REPLACE FUNCTION current_org_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

-- Enables row-level security on a tenant-owned table: rows are visible and writable only while the
-- transaction's organization equals the row's org_id. Without an organization set, nothing is.
CREATE OR REPLACE FUNCTION luminous_tenant_table(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (org_id = current_org_id()) WITH CHECK (org_id = current_org_id())',
    tbl);
END $$;

CREATE OR REPLACE FUNCTION luminous_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;

-- Audit log: who changed what, with the changed fields before and after.
CREATE TABLE audit_logs (
  id          uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  org_id      uuid NOT NULL,
  actor_type  text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
  actor_id    uuid,
  entity      text NOT NULL,
  entity_id   text NOT NULL,
  action      text NOT NULL,
  changes     jsonb,
  request_id  text,
  ip          inet,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_org_created ON audit_logs (org_id, created_at DESC, id DESC);
CREATE INDEX audit_logs_org_entity ON audit_logs (org_id, entity, entity_id, created_at DESC);
CREATE INDEX audit_logs_org_actor ON audit_logs (org_id, actor_id, created_at DESC);
SELECT luminous_tenant_table('audit_logs');

-- Transactional outbox: written in the transaction of the change, delivered by the dispatcher.
-- `id` is a bigserial so that delivery order and "what did I miss since event N" are well defined.
CREATE TABLE outbox_events (
  id            bigserial PRIMARY KEY,
  event_id      uuid NOT NULL DEFAULT luminous_uuid7() UNIQUE,
  org_id        uuid NOT NULL,
  type          text NOT NULL,
  aggregate     text NOT NULL,
  aggregate_id  text NOT NULL,
  -- socket rooms the event goes to: 'org:<id>', 'user:<id>', 'chat:<id>' ...
  rooms         text[] NOT NULL DEFAULT '{}',
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  dispatched_at timestamptz
);
CREATE INDEX outbox_events_pending ON outbox_events (id) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_events_org ON outbox_events (org_id, id);
CREATE INDEX outbox_events_rooms ON outbox_events USING gin (rooms);
SELECT luminous_tenant_table('outbox_events');

-- Wake the dispatcher as soon as an event commits.
CREATE OR REPLACE FUNCTION luminous_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('luminous_outbox', ''); RETURN NULL; END $$;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION luminous_outbox_notify();

-- Idempotency keys: the first response to a key is stored and replayed for 24 hours.
-- Scoped by organization and principal so two tenants may use the same key.
CREATE TABLE idempotency_keys (
  org_id        uuid NOT NULL,
  principal     text NOT NULL,
  key           text NOT NULL,
  method        text NOT NULL,
  path          text NOT NULL,
  request_hash  text NOT NULL,
  status        integer,
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
SELECT luminous_tenant_table('idempotency_keys');
