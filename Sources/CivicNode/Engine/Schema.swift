import CivicStore

/// The node database, one file per node. Each named step runs once, in order (`schema_migrations`).
/// Tables are keyed so that every status and list request is an index lookup, never a scan.
enum Schema {
    static let migrations: [Migration] = [
        Migration("cases, events, outbox, links, counters, summaries", """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        -- ord: the order in which this node learned of a case; paging cursor for lists.
        CREATE TABLE cases(
            ord INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL,
            holder TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            body TEXT NOT NULL);
        CREATE INDEX cases_by_state ON cases(state, ord);
        CREATE INDEX cases_by_holder ON cases(holder, state, ord);
        CREATE INDEX cases_by_created ON cases(created_at);
        -- ord: the order in which this node applied events; a case's history is its events by ord.
        CREATE TABLE events(
            ord INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            case_id TEXT NOT NULL,
            body TEXT NOT NULL);
        CREATE INDEX events_by_case ON events(case_id, ord);
        -- Durable messages not yet acknowledged by the peer, in send order.
        CREATE TABLE outbox(peer TEXT NOT NULL, seq INTEGER NOT NULL, line BLOB NOT NULL, PRIMARY KEY(peer, seq)) WITHOUT ROWID;
        -- Per link: next seq to assign, last seq the peer acknowledged, last seq applied from the peer.
        CREATE TABLE links(peer TEXT PRIMARY KEY, next_out INTEGER NOT NULL, acked_out INTEGER NOT NULL, applied_in INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE counters(scope TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY(scope, key)) WITHOUT ROWID;
        -- Last summary each child sent, so a restarted node still shows it.
        CREATE TABLE summaries(peer TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
        """),
        // What replaying the log by action, time or node needs (reports, rebuilding a projection), as columns
        // with indexes instead of a parse of every body.
        Migration("events: action, at and node columns", """
        ALTER TABLE events ADD COLUMN action TEXT;
        ALTER TABLE events ADD COLUMN at TEXT;
        ALTER TABLE events ADD COLUMN node TEXT;
        UPDATE events SET action = json_extract(body, '$.action'), at = json_extract(body, '$.at'), node = json_extract(body, '$.node');
        CREATE INDEX events_by_action ON events(action, at);
        CREATE INDEX events_by_node ON events(node, at);
        """),
        // Bearer tokens: only a SHA-256 hash of each is kept, never the token itself (shown once when created).
        Migration("tokens", """
        CREATE TABLE tokens(
            name TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,
            unit TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT) WITHOUT ROWID;
        """),
        // The due-time index of `DeadlineProjection`: due dates of the open cases, by time.
        Migration("deadline index", """
        CREATE TABLE deadlines(case_id TEXT PRIMARY KEY, kind TEXT NOT NULL, due_at TEXT NOT NULL, holder TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX deadlines_by_due ON deadlines(due_at);
        """),
        // `SupervisionProjection`: when this node next issues a timer event for a case (by time), and the
        // supervision list (escalated, under an order, waiting for an extension answer).
        Migration("timers and supervision list", """
        CREATE TABLE timers(case_id TEXT PRIMARY KEY, fire_at TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX timers_by_time ON timers(fire_at);
        CREATE TABLE supervised(case_id TEXT PRIMARY KEY, holder TEXT NOT NULL) WITHOUT ROWID;
        """),
        // Cheaper writes on the hot path (issue 13): `ord` as a plain rowid alias (AUTOINCREMENT wrote
        // sqlite_sequence on every insert; rows are never deleted, so `ord` still only grows), and no indexes
        // that no query reads (events by action and by node, cases by creation time): three b-tree writes fewer per
        // event and per new case. Reports will read projections, as status does.
        Migration("rowid ord, unused indexes dropped", """
        CREATE TABLE events_new(ord INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, case_id TEXT NOT NULL, body TEXT NOT NULL,
                                action TEXT, at TEXT, node TEXT);
        INSERT INTO events_new(ord, id, case_id, body, action, at, node) SELECT ord, id, case_id, body, action, at, node FROM events;
        DROP TABLE events;
        ALTER TABLE events_new RENAME TO events;
        CREATE INDEX events_by_case ON events(case_id, ord);
        CREATE TABLE cases_new(ord INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, holder TEXT NOT NULL,
                               created_at TEXT NOT NULL, updated_at TEXT NOT NULL, body TEXT NOT NULL);
        INSERT INTO cases_new(ord, id, state, holder, created_at, updated_at, body) SELECT ord, id, state, holder, created_at, updated_at, body FROM cases;
        DROP TABLE cases;
        ALTER TABLE cases_new RENAME TO cases;
        CREATE INDEX cases_by_state ON cases(state, ord);
        CREATE INDEX cases_by_holder ON cases(holder, state, ord);
        """),
        // `PartProjection`: open co-handling parts and summonses by the unit that has them, so a unit lists the
        // cases it co-handles or is summoned to (`GET /api/cases?parts=true`) from an index.
        Migration("open parts by unit", """
        CREATE TABLE parts(case_id TEXT NOT NULL, part_id TEXT NOT NULL, unit TEXT NOT NULL, department TEXT, kind TEXT NOT NULL,
                           PRIMARY KEY(case_id, part_id)) WITHOUT ROWID;
        CREATE INDEX parts_by_unit ON parts(unit, case_id);
        """),
        // Restore from a backup (`civicmesh restore`, docs/protocol.md §3.4): the links still to resync with their
        // peer (with the outbound seq the backup held), and what each resync found this node no longer holds.
        Migration("restore and resync", """
        CREATE TABLE link_resync(peer TEXT PRIMARY KEY, restored_next_out INTEGER NOT NULL, restored_at TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE restore_losses(ord INTEGER PRIMARY KEY, peer TEXT NOT NULL, direction TEXT NOT NULL, first_seq INTEGER NOT NULL,
                                    last_seq INTEGER NOT NULL, noted_at TEXT NOT NULL);
        """),
        // Outbox rows by reference (issue 13): a dispatch or an update whose case and events are stored here exactly as
        // the line carries them keeps only which case and which events (`kind`, `case_id`, `events`: a JSON array of
        // event ids), and the line is rebuilt from those rows when it has to be read back (a reconnect). A 2.6 KB copy
        // of every line was a third of what a case's intake wrote to the WAL, and took and freed an overflow page.
        // `line` holds the line itself when it could not be referred to, or when its case row changed before the
        // peer acknowledged it (LinkLedger keeps that true; the partial index finds such rows by case).
        Migration("outbox rows by reference", """
        CREATE TABLE outbox_new(peer TEXT NOT NULL, seq INTEGER NOT NULL, line BLOB, kind TEXT, case_id TEXT, events TEXT,
                                PRIMARY KEY(peer, seq),
                                CHECK (line IS NOT NULL OR (kind IN ('dispatch', 'update') AND case_id IS NOT NULL AND events IS NOT NULL))) WITHOUT ROWID;
        INSERT INTO outbox_new(peer, seq, line) SELECT peer, seq, line FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_new RENAME TO outbox;
        CREATE INDEX outbox_by_case ON outbox(case_id) WHERE line IS NULL;
        """),
    ]
}
