-- The delivery stream of the outbox, and the table the Socket.IO PostgreSQL adapter needs.
--
-- Outbox ids are taken when a row is inserted, but transactions commit in another order: event 10 can
-- become visible before event 9. A client that saw 10 and later asks "what came after 10?" would never
-- get 9. So the dispatcher gives each event a second number, `seq`, at the moment it delivers it, from
-- `outbox_stream.head`. Only one dispatcher holds that row at a time, so seq order is commit order with
-- no event appearing behind one already delivered; replay and cross-node catch-up read by seq.

ALTER TABLE outbox_events ADD COLUMN seq bigint;
CREATE UNIQUE INDEX outbox_events_seq ON outbox_events (seq);
-- Pruning walks dispatched events by age.
CREATE INDEX outbox_events_dispatched_at ON outbox_events (dispatched_at) WHERE dispatched_at IS NOT NULL;

-- One row: the last seq handed out. Never pruned, so the stream never restarts from zero.
CREATE TABLE outbox_stream (
  id    integer PRIMARY KEY CHECK (id = 1),
  head  bigint NOT NULL
);
INSERT INTO outbox_stream (id, head) VALUES (1, 0);

-- Payloads the PostgreSQL adapter cannot fit in a NOTIFY (over 8000 bytes or binary). The adapter
-- deletes rows older than its cleanup interval.
CREATE TABLE socket_io_attachments (
  id          bigserial UNIQUE,
  created_at  timestamptz DEFAULT now(),
  payload     bytea
);

-- Both tables are system machinery reached through the owner connection only. The application role
-- gets table grants on the whole schema, so row-level security with no policy keeps it out
-- (attachments carry socket packets of every tenant).
ALTER TABLE outbox_stream ENABLE ROW LEVEL SECURITY;
ALTER TABLE socket_io_attachments ENABLE ROW LEVEL SECURITY;
