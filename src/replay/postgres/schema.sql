-- hookwarden's replay records and leases in PostgreSQL (feature `postgres`).
-- Applied by `PostgresStore::migrate`, idempotent; safe to run from many
-- replicas at once (one transaction, under an advisory lock). Works under
-- READ COMMITTED, PostgreSQL's default isolation level.
--
-- One row per replay key: held by a lease (`done` false, `lease` its id)
-- until `expires_at`, or recorded as processed (`done` true) until
-- `expires_at`. An expired row counts as absent; `hookwarden_purge` deletes
-- expired rows in bounded batches. Times are the database's clock.

SELECT pg_advisory_xact_lock(7245119623457812001);

-- The table and its index are created only when missing, checked by name
-- first: `CREATE INDEX IF NOT EXISTS` would take a lock on the table even
-- when the index exists, queueing every claim behind any handler's open
-- transaction while a replica starts.
DO $$
BEGIN
    IF to_regclass('hookwarden_replay') IS NULL THEN
        CREATE TABLE hookwarden_replay (
            key        text        PRIMARY KEY,
            lease      bytea       NOT NULL,
            done       boolean     NOT NULL,
            expires_at timestamptz NOT NULL
        );
    END IF;
    -- The purge finds expired rows by it.
    IF to_regclass('hookwarden_replay_expires_at') IS NULL THEN
        CREATE INDEX hookwarden_replay_expires_at ON hookwarden_replay (expires_at);
    END IF;
END $$;

-- Every function waits at most `p_lock_ms` for a row lock: a row locked for
-- longer is held by a handler's open transaction (an in-transaction record),
-- so its delivery is in flight. The wait ends in SQLSTATE 55P03
-- (lock_not_available), which the store reads as "still held" for a
-- renewal: no EXCEPTION block here, which would open a subtransaction on
-- every call. The claim is no function: `PostgresStore` sends it as one
-- `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired` statement (store.rs,
-- `CLAIM`), whose lock wait ends the same way and reads as "in flight".

-- True when the lease still holds the key: held, or recorded as processed
-- by the lease itself (the handler's transaction committed its record). A
-- row locked by the handler's own open transaction (its record, not yet
-- committed) ends in 55P03: still held.
CREATE OR REPLACE FUNCTION hookwarden_renew(
    p_key text, p_lease bytea, p_ttl_ms bigint, p_lock_ms integer
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('lock_timeout', p_lock_ms || 'ms', true);
    UPDATE hookwarden_replay
        SET expires_at = clock_timestamp() + p_ttl_ms * interval '1 millisecond'
        WHERE key = p_key AND lease = p_lease AND NOT done;
    IF FOUND THEN
        RETURN true;
    END IF;
    RETURN EXISTS (SELECT 1 FROM hookwarden_replay
                   WHERE key = p_key AND lease = p_lease AND done);
END $$;

-- Records the key as processed, whoever holds it (the effects happened).
CREATE OR REPLACE FUNCTION hookwarden_commit(
    p_key text, p_lease bytea, p_ttl_ms bigint, p_lock_ms integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('lock_timeout', p_lock_ms || 'ms', true);
    INSERT INTO hookwarden_replay (key, lease, done, expires_at)
        VALUES (p_key, p_lease, true,
                clock_timestamp() + p_ttl_ms * interval '1 millisecond')
        ON CONFLICT (key) DO UPDATE
            SET lease = excluded.lease, done = true, expires_at = excluded.expires_at;
END $$;

-- Frees the key if the lease still holds it; a processed key stays processed.
CREATE OR REPLACE FUNCTION hookwarden_release(
    p_key text, p_lease bytea, p_lock_ms integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('lock_timeout', p_lock_ms || 'ms', true);
    DELETE FROM hookwarden_replay
        WHERE key = p_key AND lease = p_lease AND NOT done;
END $$;

-- The record in the handler's own transaction, fenced by its lease: fails
-- (aborting the transaction) unless the lease still holds the key, with
-- SQLSTATE HW409 when another lease holds it or it was recorded by another
-- transaction, HW404 when there is no row for it (never held in this
-- table, or expired and purged). Recording twice in one transaction is
-- allowed. The lock timeout it sets lasts only for this call.
CREATE OR REPLACE FUNCTION hookwarden_record(
    p_key text, p_lease bytea, p_ttl_ms bigint, p_lock_ms integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    previous text := current_setting('lock_timeout');
    found_row record;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_ms || 'ms', true);
    UPDATE hookwarden_replay
        SET done = true,
            expires_at = clock_timestamp() + p_ttl_ms * interval '1 millisecond'
        WHERE key = p_key AND lease = p_lease AND NOT done;
    IF NOT FOUND THEN
        SELECT lease, done, xmin = pg_current_xact_id()::xid AS ours INTO found_row
            FROM hookwarden_replay WHERE key = p_key;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'hookwarden: no replay lease for this delivery in hookwarden_replay (the verifier''s replay store is not a PostgresStore on this database, or the lease expired and was purged)'
                USING ERRCODE = 'HW404';
        END IF;
        IF NOT (found_row.lease = p_lease AND found_row.done AND found_row.ours) THEN
            RAISE EXCEPTION 'hookwarden: the delivery''s replay lease was lost (taken by another replica, or recorded by another transaction)'
                USING ERRCODE = 'HW409';
        END IF;
    END IF;
    PERFORM set_config('lock_timeout', previous, true);
END $$;

-- Deletes at most `p_limit` expired rows, skipping rows locked by others;
-- returns how many.
CREATE OR REPLACE FUNCTION hookwarden_purge(p_limit integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    purged bigint;
BEGIN
    DELETE FROM hookwarden_replay WHERE key IN (
        SELECT key FROM hookwarden_replay
            WHERE expires_at < clock_timestamp()
            ORDER BY expires_at
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END $$;
