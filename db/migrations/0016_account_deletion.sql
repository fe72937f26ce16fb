-- Account deletion needs two answers that row-level security rightly hides from a user: who else owns
-- the organizations they belong to, and their memberships in organizations other than the current
-- one. These functions answer exactly that, and only for the user of the current transaction.

-- Organizations whose only owner is the current user. Locks the owner memberships of the user's
-- organizations first, so that no concurrent change of roles can slip between this check and the
-- user leaving (both happen in the caller's transaction).
CREATE OR REPLACE FUNCTION luminous_sole_owned_organizations() RETURNS TABLE (id uuid, name text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
BEGIN
  PERFORM 1 FROM memberships x
    WHERE x.role = 'owner'
      AND x.org_id IN (SELECT m.org_id FROM memberships m WHERE m.user_id = current_user_id())
    ORDER BY x.org_id, x.user_id
    FOR UPDATE;
  RETURN QUERY
    SELECT o.id, o.name FROM organizations o
    JOIN memberships m ON m.org_id = o.id AND m.user_id = current_user_id() AND m.role = 'owner'
    WHERE NOT EXISTS (
      SELECT 1 FROM memberships other
      WHERE other.org_id = o.id AND other.role = 'owner' AND other.user_id <> current_user_id())
    ORDER BY o.name, o.id;
END $$;

-- Removes the current user from every organization; returns how many memberships went.
CREATE OR REPLACE FUNCTION luminous_leave_all_organizations() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
  WITH gone AS (DELETE FROM memberships WHERE user_id = current_user_id() RETURNING 1)
  SELECT count(*)::int FROM gone
$$;

REVOKE ALL ON FUNCTION luminous_sole_owned_organizations() FROM PUBLIC;
REVOKE ALL ON FUNCTION luminous_leave_all_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION luminous_sole_owned_organizations() TO luminous_app;
GRANT EXECUTE ON FUNCTION luminous_leave_all_organizations() TO luminous_app;
