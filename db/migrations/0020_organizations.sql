-- Invitations, teams and team members; member search support.

-- An invitation to join an organization with a role. The e-mailed token is stored only as a SHA-256
-- hash. At most one open (not accepted, not revoked) invitation per address and organization:
-- inviting the same address again refreshes it.
CREATE TABLE invitations (
  id           uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email        citext NOT NULL,
  role         text NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'agent', 'viewer')),
  token_hash   text NOT NULL UNIQUE,
  invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at   timestamptz NOT NULL,
  sent_at      timestamptz NOT NULL DEFAULT now(),
  accepted_at  timestamptz,
  accepted_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
CREATE UNIQUE INDEX invitations_open_email ON invitations (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_org_created ON invitations (org_id, created_at DESC, id DESC);
CREATE TRIGGER invitations_touch BEFORE UPDATE ON invitations FOR EACH ROW EXECUTE FUNCTION luminous_touch_updated_at();
SELECT luminous_tenant_table('invitations');

-- Teams group members for assignment (conversations, leads). Names are unique per organization,
-- ignoring case.
CREATE TABLE teams (
  id           uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name         citext NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name),
  UNIQUE (org_id, id)
);
CREATE INDEX teams_org_created ON teams (org_id, created_at DESC, id DESC);
CREATE TRIGGER teams_touch BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION luminous_touch_updated_at();
SELECT luminous_tenant_table('teams');

-- Only members of the organization can be in its teams: the membership is a foreign key, so removing
-- a member from the organization removes them from its teams too.
CREATE TABLE team_members (
  org_id      uuid NOT NULL,
  team_id     uuid NOT NULL,
  user_id     uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id),
  FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX team_members_user ON team_members (org_id, user_id);
SELECT luminous_tenant_table('team_members');

-- Members are listed newest first and filtered by role.
CREATE INDEX memberships_org_created ON memberships (org_id, created_at DESC, user_id DESC);
