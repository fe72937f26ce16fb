-- Uploaded files: metadata here, bytes in storage (local disk or S3) under `storage_key`. The type is
-- what the bytes are, detected on upload, never what the client claimed.
CREATE TABLE files (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- The uploading user; null when an API key uploaded it or the user was erased.
  owner_id      uuid REFERENCES users (id) ON DELETE SET NULL,
  purpose       text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_-]{0,39}$'),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  size          bigint NOT NULL CHECK (size >= 0),
  content_type  text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'document')),
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key   text NOT NULL UNIQUE,
  width         integer CHECK (width > 0),
  height        integer CHECK (height > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz
);
CREATE INDEX files_org_created ON files (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX files_owner ON files (owner_id) WHERE owner_id IS NOT NULL;
SELECT luminous_tenant_table('files');

-- An avatar belongs to its user, not to the organization it was uploaded in: the user sees it (and may
-- replace or remove it) from any of their organizations, and members of any organization the user
-- belongs to see it too.
CREATE POLICY avatars ON files FOR SELECT USING (
  purpose = 'avatar' AND (
    owner_id = current_user_id()
    OR owner_id IN (SELECT m.user_id FROM memberships m WHERE m.org_id = current_org_id())
  )
);
CREATE POLICY own_avatars ON files FOR UPDATE
  USING (purpose = 'avatar' AND owner_id = current_user_id())
  WITH CHECK (purpose = 'avatar' AND owner_id = current_user_id());
