/**
 * The database schema, as an ordered list of migrations. `PRAGMA user_version` holds
 * how many have run, so a newer tracebox upgrades an older file in place and an older
 * tracebox refuses a newer file instead of misreading it.
 *
 * Design (measured numbers in ARCHITECTURE.md):
 * - Spans keep their raw OTLP protobuf bytes, so every field round-trips exactly and
 *   nothing is re-encoded on ingest; the columns beside it exist only to be searched.
 * - No B-tree index has a random key on the per-span write path except the FTS terms:
 *   `traces` maps trace_id → rowid once per trace, and spans are found by trace rowid,
 *   which grows with arrival order, so that index is nearly append-only.
 * - Resources and scopes are stored once and referenced by id.
 * - Attribute search goes through `span_terms`, a contentless FTS5 index whose tokens
 *   are hashes of (scope, key, typed value) and of (scope, key); a hit is a candidate
 *   that the query engine confirms against the raw span, so hash collisions cost only
 *   a little extra work, never a wrong answer.
 */

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE resources(
    id INTEGER PRIMARY KEY,
    digest BLOB NOT NULL UNIQUE,           -- sha-256 of schema_url + raw, for dedupe across restarts
    raw BLOB,                               -- the OTLP Resource message; NULL when the field was absent
    schema_url TEXT NOT NULL,
    service TEXT NOT NULL                   -- resource service.name, '' when absent
  );
  CREATE TABLE scopes(
    id INTEGER PRIMARY KEY,
    digest BLOB NOT NULL UNIQUE,
    raw BLOB,                               -- the OTLP InstrumentationScope message; NULL when absent
    schema_url TEXT NOT NULL
  );
  CREATE TABLE span_names(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  );
  CREATE TABLE traces(
    id INTEGER PRIMARY KEY,
    trace_id BLOB NOT NULL UNIQUE,          -- 16 bytes
    start_ns INTEGER NOT NULL,              -- min span start
    end_ns INTEGER NOT NULL,                -- max span end
    span_count INTEGER NOT NULL,
    error_count INTEGER NOT NULL,
    root_service TEXT,                      -- NULL until a span with an empty parent arrives
    root_name TEXT,
    root_start_ns INTEGER,                  -- the earliest root wins when a trace has several
    seen_s INTEGER NOT NULL                 -- unix seconds its last span arrived: retention goes by arrival,
                                            -- as Tempo's does, not by the senders' clocks
  );
  CREATE INDEX traces_start ON traces(start_ns);
  CREATE INDEX traces_seen ON traces(seen_s);
  CREATE TABLE spans(
    id INTEGER PRIMARY KEY,                 -- arrival order, close to time order
    trace_rowid INTEGER NOT NULL,
    span_id BLOB NOT NULL,
    parent_id BLOB,                         -- NULL for a root span
    resource_id INTEGER NOT NULL,
    scope_id INTEGER NOT NULL,
    name_id INTEGER NOT NULL,
    kind INTEGER NOT NULL,                  -- OTLP SpanKind number
    status INTEGER NOT NULL,                -- OTLP StatusCode number
    start_ns INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL,
    raw BLOB NOT NULL                       -- the OTLP Span message
  );
  -- Tempo drops a span re-sent with the same id and kind; so does this constraint.
  CREATE UNIQUE INDEX spans_trace ON spans(trace_rowid, span_id, kind);
  -- Covers "service X, slower than D, in a time range" without touching the table.
  CREATE INDEX spans_resource ON spans(resource_id, start_ns, duration_ns);
  CREATE INDEX spans_start ON spans(start_ns);
  CREATE INDEX spans_error ON spans(start_ns) WHERE status = 2;
  -- contentless_delete lets retention delete rows; it rules out columnsize=0.
  CREATE VIRTUAL TABLE span_terms USING fts5(t, content='', contentless_delete=1, detail=none);
  -- The tag-value dictionary behind Tempo's tag endpoints: each distinct attribute value
  -- once, with the span start times it was first and last seen at (last_ns refreshed at
  -- most every minute). A key records at most MAX_VALUES_PER_KEY values (value_count counts them).
  CREATE TABLE tag_keys(
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,                    -- span | resource | event | link | instrumentation
    key TEXT NOT NULL,
    value_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE(scope, key)
  );
  CREATE TABLE tag_values(
    key_id INTEGER NOT NULL,
    type TEXT NOT NULL,                     -- string | int | float | bool
    value ANY NOT NULL,                     -- ints as decimal text (exact beyond 2^53)
    first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL,
    PRIMARY KEY(key_id, type, value)
  ) WITHOUT ROWID;
  `,
  `
  -- Tag-value listings with a time window, and retention's pruning of the dictionary, read
  -- one key's values by the time they were last seen.
  CREATE INDEX tag_values_last ON tag_values(key_id, last_ns);
  `,
  // Runs (`tracebox run`, the test API): one row per run; its spans carry the resource
  // attribute tracebox.run = the id, so they are found by search, not by a join.
  `
  CREATE TABLE runs(
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: an old run's spans never join a new run
    label TEXT NOT NULL,
    command TEXT NOT NULL,
    git_commit TEXT,                        -- NULL outside a git work tree
    git_branch TEXT,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,                       -- NULL while it runs
    exit_code INTEGER,
    span_count INTEGER                      -- spans tagged with the run when it ended
  );
  CREATE INDEX runs_started ON runs(started_ms);
  `,
  // Logs: OTLP log records beside the spans, resources and scopes shared with them.
  // Found by time, by resource (service) and time, and through `log_terms` (attribute
  // hashes as for spans, trace and span ids as hex words, and the body's words), so that
  // no random-key B-tree index sits on the per-record write path.
  `
  CREATE TABLE logs(
    id INTEGER PRIMARY KEY,                 -- arrival order
    time_ns INTEGER NOT NULL,               -- time_unix_nano; the observed time when that is 0, the arrival time when both are
    observed_ns INTEGER NOT NULL,           -- observed_time_unix_nano as sent (0: absent)
    severity INTEGER NOT NULL,              -- SeverityNumber 0–24
    severity_text TEXT NOT NULL,
    trace_id BLOB,                          -- 16 bytes; NULL outside a trace
    span_id BLOB,                           -- 8 bytes; NULL outside a span
    flags INTEGER NOT NULL,
    event_name TEXT,                        -- NULL when empty
    resource_id INTEGER NOT NULL,
    scope_id INTEGER NOT NULL,
    body TEXT NOT NULL,                     -- the body as text (otlp/log-model.ts); '' without one
    raw BLOB NOT NULL,                      -- the OTLP LogRecord message: every field round-trips
    seen_s INTEGER NOT NULL                 -- unix seconds it arrived: retention goes by arrival, as for traces;
                                            -- it follows id, so the oldest are the first rowids
  );
  -- Severity and resource ride along, so that a query's filters are read from the index
  -- it walks in time order and only the records it returns are read from the table; id
  -- comes right after the time, so ties are read in arrival order without a sort.
  CREATE INDEX logs_time ON logs(time_ns, id, severity, resource_id);
  CREATE INDEX logs_resource ON logs(resource_id, time_ns, id, severity);
  CREATE VIRTUAL TABLE log_terms USING fts5(t, content='', contentless_delete=1, detail=none);
  `,
  `
  -- Retention prunes the dictionaries with the spans that referenced them (prune.ts).
  -- last_span: the highest span rowid that may reference the row, kept by the writer.
  ALTER TABLE span_names ADD COLUMN last_span INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE scopes ADD COLUMN last_span INTEGER NOT NULL DEFAULT 0;
  UPDATE span_names SET last_span = coalesce((SELECT max(id) FROM spans), 0);
  UPDATE scopes SET last_span = coalesce((SELECT max(id) FROM spans), 0);
  -- seen_s: unix seconds the writer last recorded the value (a recently recorded value may
  -- still be remembered by a decoder as known, so it is not pruned yet).
  ALTER TABLE tag_values ADD COLUMN seen_s INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- last_span on tag values too (a bound on the rowids of the spans recorded with the value):
  -- retention's sweep looks among values recorded before the earliest stored span for those
  -- no span references any more (prune.ts).
  ALTER TABLE tag_values ADD COLUMN last_span INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- tag_values.value was declared ANY, which outside a STRICT table is NUMERIC affinity: a
  -- string value that reads as a number ("0123", a hex id such as "4e0996…") was stored as
  -- that number, its text lost. Without a declared type a column keeps what it is given.
  -- Rows already converted cannot be restored; they are dropped and recorded again when seen.
  CREATE TABLE tag_values_kept(
    key_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    value NOT NULL,
    first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL,
    seen_s INTEGER NOT NULL DEFAULT 0,
    last_span INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(key_id, type, value)
  ) WITHOUT ROWID;
  INSERT INTO tag_values_kept
    SELECT key_id, type, CASE WHEN type = 'int' THEN CAST(value AS TEXT) ELSE value END, first_ns, last_ns, seen_s, last_span
    FROM tag_values WHERE type <> 'string' OR typeof(value) = 'text';
  DROP TABLE tag_values;
  ALTER TABLE tag_values_kept RENAME TO tag_values;
  CREATE INDEX tag_values_last ON tag_values(key_id, last_ns);
  `,
  `
  -- The term indexes' write cost is mostly FTS5's segment merging and leaf writes: leaves
  -- twice SQLite's page size and merging eight segments of a level instead of four cut the
  -- writer's CPU per span by about a tenth (npm run bench:write) for a few more segments
  -- per term lookup. Both settings apply to segments written from now on.
  INSERT INTO span_terms(span_terms, rank) VALUES ('pgsz', 8000);
  INSERT INTO span_terms(span_terms, rank) VALUES ('automerge', 8);
  INSERT INTO log_terms(log_terms, rank) VALUES ('pgsz', 8000);
  INSERT INTO log_terms(log_terms, rank) VALUES ('automerge', 8);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
