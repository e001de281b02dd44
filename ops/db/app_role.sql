-- trustpath's least-privilege application role (PostgreSQL).
-- Run by ops/db/setup_role.py as the database owner, after the event tables exist.
-- Placeholders: {role} {database} {events} {snapshots} {sequence} are quoted identifiers.
--
-- The application may INSERT and SELECT events, never UPDATE or DELETE them.
-- PostgreSQL's LOCK TABLE ... IN EXCLUSIVE MODE, which the eventsourcing library takes to
-- keep the notification log from interleaving, demands a table-level UPDATE, DELETE or
-- TRUNCATE privilege. We grant UPDATE for that lock only, and a trigger owned by the
-- owner refuses every UPDATE, DELETE and TRUNCATE of the event tables; DELETE and
-- TRUNCATE are not granted at all. The role does not own these tables, so it cannot drop
-- or disable the trigger.

GRANT CONNECT ON DATABASE {database} TO {role};
GRANT USAGE, CREATE ON SCHEMA public TO {role};

REVOKE ALL ON {events}, {snapshots} FROM {role};
GRANT SELECT, INSERT, UPDATE ON {events}, {snapshots} TO {role};
GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {role};

CREATE OR REPLACE FUNCTION trustpath_refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'trustpath events are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP TRIGGER IF EXISTS trustpath_events_append_only ON {events};
CREATE TRIGGER trustpath_events_append_only
    BEFORE UPDATE OR DELETE ON {events}
    FOR EACH ROW EXECUTE FUNCTION trustpath_refuse_rewrite();
DROP TRIGGER IF EXISTS trustpath_events_no_truncate ON {events};
CREATE TRIGGER trustpath_events_no_truncate
    BEFORE TRUNCATE ON {events}
    FOR EACH STATEMENT EXECUTE FUNCTION trustpath_refuse_rewrite();
DROP TRIGGER IF EXISTS trustpath_snapshots_append_only ON {snapshots};
CREATE TRIGGER trustpath_snapshots_append_only
    BEFORE UPDATE OR DELETE ON {snapshots}
    FOR EACH ROW EXECUTE FUNCTION trustpath_refuse_rewrite();
