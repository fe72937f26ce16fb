-- Jobs are enqueued inside the application's own transactions, but graphile-worker keeps its tables
-- under row-level security with no policy for other roles, so the application role cannot call
-- graphile_worker.add_job directly. This wrapper runs as the owner (who owns graphile-worker's schema)
-- and does nothing else: the application can add a job, never read or alter the queue.
-- plpgsql resolves graphile_worker at call time: its schema is installed after these migrations.
CREATE OR REPLACE FUNCTION luminous_add_job(
  identifier text,
  payload json,
  queue_name text DEFAULT NULL,
  run_at timestamptz DEFAULT NULL,
  max_attempts int DEFAULT NULL,
  job_key text DEFAULT NULL,
  priority int DEFAULT NULL,
  job_key_mode text DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM graphile_worker.add_job(
    identifier => identifier,
    payload => payload,
    queue_name => queue_name,
    run_at => run_at,
    max_attempts => max_attempts,
    job_key => job_key,
    priority => priority,
    job_key_mode => job_key_mode
  );
END $$;
REVOKE ALL ON FUNCTION luminous_add_job(text, json, text, timestamptz, int, text, int, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION luminous_add_job(text, json, text, timestamptz, int, text, int, text) TO luminous_app;
