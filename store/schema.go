package store

// migrations are the schema scripts, applied in order, each in one
// transaction; PRAGMA user_version records how many have run. Append only:
// a released script is never edited.
//
// Times are INTEGER unix nanoseconds (UTC), 0 meaning unset, for exact
// ordering and cheap comparison. Design rows are soft deleted (deleted_at)
// so history keeps their names; their uniqueness holds among live rows only.
// Runtime tables (occurrences, deliveries, attempts) carry no foreign keys:
// the writer alone inserts them with ids it checked, and a foreign-key probe
// per row would cost the hot path a lookup each.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE apps (
	id          INTEGER PRIMARY KEY,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	color       TEXT    NOT NULL DEFAULT '',
	concurrency INTEGER NOT NULL DEFAULT 0,
	endpoint    TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	deleted_at  INTEGER
);
CREATE UNIQUE INDEX apps_name ON apps(name) WHERE deleted_at IS NULL;

CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	app_id      INTEGER NOT NULL REFERENCES apps(id),
	name        TEXT    NOT NULL,
	public      INTEGER NOT NULL DEFAULT 0,
	description TEXT    NOT NULL DEFAULT '',
	parameters  TEXT    NOT NULL DEFAULT '[]',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	deleted_at  INTEGER
);
CREATE UNIQUE INDEX events_app_name ON events(app_id, name) WHERE deleted_at IS NULL;

CREATE TABLE subscriptions (
	id         INTEGER PRIMARY KEY,
	event_id   INTEGER NOT NULL REFERENCES events(id),
	app_id     INTEGER NOT NULL REFERENCES apps(id),
	handler    TEXT    NOT NULL,
	enabled    INTEGER NOT NULL,
	paused     INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	deleted_at INTEGER
);
CREATE UNIQUE INDEX subscriptions_event_app ON subscriptions(event_id, app_id) WHERE deleted_at IS NULL;
CREATE INDEX subscriptions_app ON subscriptions(app_id);

CREATE TABLE keys (
	id         INTEGER PRIMARY KEY,
	app_id     INTEGER NOT NULL REFERENCES apps(id),
	prefix     TEXT    NOT NULL,
	hash       BLOB    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);
CREATE INDEX keys_app ON keys(app_id, id);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE occurrences (
	id                 INTEGER PRIMARY KEY,
	event_id           INTEGER NOT NULL,
	app_id             INTEGER NOT NULL,
	trace_id           INTEGER NOT NULL,
	parent_delivery_id INTEGER NOT NULL DEFAULT 0,
	parameters         TEXT    NOT NULL,
	status             TEXT    NOT NULL,
	created_at         INTEGER NOT NULL
);
CREATE INDEX occurrences_event ON occurrences(event_id, id);
CREATE INDEX occurrences_app ON occurrences(app_id, id);
CREATE INDEX occurrences_trace ON occurrences(trace_id, id);
CREATE INDEX occurrences_status ON occurrences(status, id);
CREATE INDEX occurrences_created ON occurrences(created_at);

CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY,
	occurrence_id   INTEGER NOT NULL,
	subscription_id INTEGER NOT NULL,
	app_id          INTEGER NOT NULL,
	event_id        INTEGER NOT NULL,
	status          TEXT    NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	claim_token     INTEGER NOT NULL DEFAULT 0,
	lease_until     INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(subscription_id, next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_occurrence ON deliveries(occurrence_id);
CREATE INDEX deliveries_status ON deliveries(status, id);
CREATE INDEX deliveries_app ON deliveries(app_id, id);
CREATE INDEX deliveries_lease ON deliveries(lease_until) WHERE status = 'running';
-- The overview's "deliveries in the last hour by state" reads a range of
-- this index instead of scanning every delivery.
CREATE INDEX deliveries_updated ON deliveries(updated_at, status);

CREATE TABLE attempts (
	delivery_id INTEGER NOT NULL,
	number      INTEGER NOT NULL,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER NOT NULL,
	outcome     TEXT    NOT NULL,
	error       TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;
`,
	// 2: console sign-ins, by the SHA-256 of their id.
	`
CREATE TABLE sessions (
	hash       BLOB    PRIMARY KEY,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions(expires_at);
`,
	// 3: what a flow's log steps wrote during an attempt (a JSON array of
	// strings, '' for none), and where a delivery's retry schedule last
	// started over (its attempt count at a replay). Existing rows read as
	// no log and a schedule counted from the first attempt.
	`
ALTER TABLE attempts ADD COLUMN log TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN schedule_base INTEGER NOT NULL DEFAULT 0;
`,
	// 4: revoked keys are kept (revoked_at, unix nanoseconds; NULL while the
	// key is live) instead of deleted, so SQLite never hands a revoked key's
	// id (the largest rowid once deleted) to the next key: a key id in a log
	// or an audit line names one key forever. Existing keys are live.
	`
ALTER TABLE keys ADD COLUMN revoked_at INTEGER;
`,
	// 5: the audit log, append only: who changed what, when, from where.
	`
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	actor  TEXT    NOT NULL,
	action TEXT    NOT NULL,
	target TEXT    NOT NULL,
	at     INTEGER NOT NULL,
	source TEXT    NOT NULL,
	detail TEXT    NOT NULL
);
CREATE INDEX audit_actor ON audit(actor, id);
CREATE INDEX audit_action ON audit(action, id);
CREATE INDEX audit_target ON audit(target, id);
CREATE INDEX audit_at ON audit(at);
`,
	// 6: a subscription's filter, an expression over the event's
	// parameters ('' for none: every occurrence gets a delivery, as
	// before).
	`
ALTER TABLE subscriptions ADD COLUMN filter TEXT NOT NULL DEFAULT '';
`,
	// 7: numbered design versions: the whole design document after each
	// change, with who, when and a summary; append only.
	`
CREATE TABLE design_versions (
	version  INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	actor    TEXT    NOT NULL,
	summary  TEXT    NOT NULL,
	document TEXT    NOT NULL
);
`,
	// 8: webhook signing secrets, one row per app (the previous secret
	// keeps signing until previous_valid_until after a rotation), and
	// what a webhook receiver answered to an attempt (a JSON object, ''
	// for other handler kinds). Existing attempts read as no answer.
	`
CREATE TABLE app_secrets (
	app_id               INTEGER PRIMARY KEY,
	current              TEXT    NOT NULL,
	previous             TEXT    NOT NULL DEFAULT '',
	previous_valid_until INTEGER NOT NULL DEFAULT 0,
	rotated_at           INTEGER NOT NULL
);
ALTER TABLE attempts ADD COLUMN response TEXT NOT NULL DEFAULT '';
`,
	// 9: the W3C traceparent a producer sent with its trigger (a
	// CloudEvents distributed-tracing extension or the HTTP header), ''
	// when it sent none, so deliveries pass the producer's trace on.
	// Existing occurrences read as sent without one.
	`
ALTER TABLE occurrences ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
`,
	// 10: console accounts with a role, their API tokens (SHA-256 hashes;
	// revoked rows kept so a token id names one token forever), and who a
	// console session signed in as ('' for the admin token). Users are
	// soft deleted so their names stay unique among live users only.
	`
CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	password_hash TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	deleted_at    INTEGER
);
CREATE UNIQUE INDEX users_name ON users(name) WHERE deleted_at IS NULL;

CREATE TABLE user_tokens (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id),
	prefix     TEXT    NOT NULL,
	hash       BLOB    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX user_tokens_user ON user_tokens(user_id);

ALTER TABLE sessions ADD COLUMN user TEXT NOT NULL DEFAULT '';
`,
	// 11: the payload search index: one row per parameter of each
	// occurrence (null values left out), keyed by event, parameter name
	// and value, so a search by param.Name=value reads a range of the
	// index instead of every occurrence's JSON. Values keep their JSON
	// class (numbers as INTEGER or REAL, booleans 1/0, strings TEXT); a
	// string shaped like a UTC RFC 3339 time gets its fraction padded to
	// nine digits so DateTime values sort in time order (storage.ParamKey
	// is the same rule in Go). Existing occurrences are indexed here.
	`
CREATE TABLE occurrence_params (
	event_id      INTEGER NOT NULL,
	name          TEXT    NOT NULL,
	value                 NOT NULL, -- no type: no affinity, each value keeps its class
	occurrence_id INTEGER NOT NULL,
	PRIMARY KEY (event_id, name, value, occurrence_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO occurrence_params (event_id, name, value, occurrence_id)
SELECT o.event_id, j.key,
	CASE WHEN j.type = 'text' AND length(j.atom) >= 20
		AND j.atom GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
	THEN substr(j.atom, 1, 19) || '.' || substr(
		CASE WHEN substr(j.atom, 20, 1) = '.' THEN substr(j.atom, 21, length(j.atom) - 21) ELSE '' END || '000000000', 1, 9) || 'Z'
	WHEN j.type = 'true' THEN 1
	WHEN j.type = 'false' THEN 0
	ELSE j.atom END,
	o.id
FROM occurrences o, json_each(o.parameters) j
WHERE j.type IN ('text', 'integer', 'real', 'true', 'false');
`,
	// 12: the payload search index moves to a file of its own beside the
	// database (searchindex.go), filled a step behind the writer; the
	// first start after this migration builds it from the occurrences.
	// The lineage names this database and its copies, so an index built
	// from another database is never read as this one's.
	`
DROP TABLE occurrence_params;
INSERT OR IGNORE INTO settings (name, value) VALUES ('store.lineage', lower(hex(randomblob(16))));
`,
	// 13: three hot indexes become partial, so the single writer
	// maintains fewer b-tree entries per occurrence and delivery (issue
	// 12). Almost every occurrence ends completed and a root occurrence
	// is its own trace (trace_id = id), so only pending and dead ones
	// keep a status entry and only caused ones a trace entry: settling
	// an occurrence deletes one entry instead of moving it. Running
	// deliveries are all in deliveries_lease already and succeeded ones
	// are the bulk, found at once by a newest-first walk of the table.
	// A query uses a partial index only when its WHERE clause holds the
	// index's term literally (store/partial.go writes them so).
	`
DROP INDEX occurrences_status;
CREATE INDEX occurrences_status ON occurrences(status, id) WHERE status <> 'completed';
DROP INDEX occurrences_trace;
CREATE INDEX occurrences_trace ON occurrences(trace_id, id) WHERE trace_id <> id;
DROP INDEX deliveries_status;
CREATE INDEX deliveries_status ON deliveries(status, id) WHERE status NOT IN ('running', 'succeeded');
`,
	// 14: deliveries_updated leaves out running deliveries, as
	// deliveries_lease holds exactly those: a delivery created claimed
	// and finishing first time gets one entry when it finishes instead of
	// one when created, moved when it finishes. A query for what was
	// updated since a time reads both (store/partial.go, touchedSince).
	`
DROP INDEX deliveries_updated;
CREATE INDEX deliveries_updated ON deliveries(updated_at, status) WHERE status <> 'running';
`,
	// 15: a delivery's last attempt, when it succeeded with nothing to
	// say beyond its times (no error, log or response), stays on the
	// delivery row instead of becoming an attempts row: folded_start is
	// its start (0: every attempt is in attempts), attempts its number,
	// updated_at its end. Most completions are such successes, and the
	// writer inserted an attempts row for each (issue 12). Readers take
	// both (attemptsSQL).
	`
ALTER TABLE deliveries ADD COLUMN folded_start INTEGER NOT NULL DEFAULT 0;
`,
}
