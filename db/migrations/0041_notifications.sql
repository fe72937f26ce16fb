-- In-app notifications: one row per recipient, in the organization where it happened.
-- A member reads and marks only their own; any code acting in the organization may notify a member
-- (an assignment notifies the assignee, not the actor), so inserts are checked by organization only.
CREATE TABLE notifications (
  id          uuid PRIMARY KEY DEFAULT luminous_uuid7(),
  org_id      uuid NOT NULL,
  user_id     uuid NOT NULL,
  type        text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
  title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  body        text CHECK (length(body) <= 5000),
  data        jsonb NOT NULL DEFAULT '{}',
  read_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- Only members are notified, and leaving the organization takes their notifications with it.
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX notifications_user_created ON notifications (org_id, user_id, created_at DESC, id DESC);
CREATE INDEX notifications_user_unread ON notifications (org_id, user_id, created_at DESC, id DESC) WHERE read_at IS NULL;
SELECT luminous_tenant_table('notifications');

-- Restrictive: combined with the organization policy, a row is visible and changeable only by its user.
CREATE POLICY own_notifications_read ON notifications AS RESTRICTIVE FOR SELECT USING (user_id = current_user_id());
CREATE POLICY own_notifications_update ON notifications AS RESTRICTIVE FOR UPDATE USING (user_id = current_user_id());
CREATE POLICY own_notifications_delete ON notifications AS RESTRICTIVE FOR DELETE USING (user_id = current_user_id());
