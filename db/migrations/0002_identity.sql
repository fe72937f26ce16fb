-- Users, organizations, memberships, sessions (refresh-token families) and API keys.
-- Users and sessions are global (a user may belong to several organizations); memberships and API
-- keys are tenant-owned.

CREATE TABLE users (
  id                 uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  email              citext NOT NULL,
  password_hash      text NOT NULL,
  first_name         text NOT NULL,
  last_name          text NOT NULL,
  phone_number       text,
  email_verified_at  timestamptz,
  avatar_file_id     uuid,
  locale             text NOT NULL DEFAULT 'en',
  timezone           text NOT NULL DEFAULT 'UTC',
  settings           jsonb NOT NULL DEFAULT '{}',
  last_org_id        uuid,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  deleted_at         timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION luminous_touch_updated_at();

CREATE TABLE organizations (
  id            uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  name          text NOT NULL,
  slug          text NOT NULL UNIQUE,
  description   text,
  logo_file_id  uuid,
  address       text,
  city          text,
  state         text,
  zip_code      text,
  country       char(2),
  currency      char(3) NOT NULL DEFAULT 'USD',
  timezone      text NOT NULL DEFAULT 'UTC',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION luminous_touch_updated_at();

CREATE TABLE memberships (
  org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'agent', 'viewer')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE TRIGGER memberships_touch BEFORE UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION luminous_touch_updated_at();
SELECT luminous_tenant_table('memberships');
-- A user also sees their own memberships in every organization (to list and switch organizations).
CREATE POLICY own_memberships ON memberships FOR SELECT USING (user_id = current_user_id());

-- An organization row is visible as the current tenant, or to its members.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations USING (id = current_org_id()) WITH CHECK (id = current_org_id());
CREATE POLICY member_organizations ON organizations FOR SELECT
  USING (id IN (SELECT m.org_id FROM memberships m WHERE m.user_id = current_user_id()));

-- Slugs are unique across organizations, which no tenant can see; this answers without revealing more.
CREATE OR REPLACE FUNCTION luminous_slug_taken(candidate text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM organizations WHERE slug = candidate)
$$;

-- A session is one refresh-token family: every rotation stays in it, and a reused token revokes it.
CREATE TABLE sessions (
  id             uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  org_id         uuid NOT NULL,
  user_agent     text,
  ip             inet,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
  token_hash   text PRIMARY KEY,
  session_id   uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  used_at      timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name          text NOT NULL,
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  permissions   text[] NOT NULL,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  expires_at    timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at DESC);
SELECT luminous_tenant_table('api_keys');

-- Users see themselves and the members of the current organization; sessions and refresh tokens are
-- the user's own. Look-ups before anyone is signed in (login by e-mail, refresh by token hash) run as
-- system work.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY self ON users USING (id = current_user_id()) WITH CHECK (id = current_user_id());
CREATE POLICY org_members ON users FOR SELECT
  USING (id IN (SELECT m.user_id FROM memberships m WHERE m.org_id = current_org_id()));

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_sessions ON sessions USING (user_id = current_user_id()) WITH CHECK (user_id = current_user_id());

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_refresh_tokens ON refresh_tokens
  USING (session_id IN (SELECT s.id FROM sessions s WHERE s.user_id = current_user_id()));
