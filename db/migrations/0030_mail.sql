-- Outgoing e-mail. Global, not tenant-owned: mail sent before anyone is signed in (password reset,
-- e-mail verification) belongs to no organization. The application role may only queue messages;
-- reading them back (the job that sends them, the development mailbox) is system work, so a tenant
-- can never read another's mail, nor anyone's reset links.
CREATE TABLE mail_messages (
  id           uuid PRIMARY KEY,
  org_id       uuid,
  to_address   citext NOT NULL,
  subject      text NOT NULL,
  -- Bodies of sent messages are cleared in production: they carry single-use links.
  text_body    text,
  html_body    text,
  status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'stored', 'failed')),
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  provider_message_id text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz
);
CREATE INDEX mail_messages_to ON mail_messages (to_address, id DESC);
CREATE INDEX mail_messages_org ON mail_messages (org_id, id DESC) WHERE org_id IS NOT NULL;

ALTER TABLE mail_messages ENABLE ROW LEVEL SECURITY;
-- Queue only: no SELECT/UPDATE/DELETE policy exists for the application role. Mail that names an
-- organization must name the transaction's own.
CREATE POLICY queue_mail ON mail_messages FOR INSERT
  WITH CHECK (org_id IS NULL OR org_id = current_org_id());
