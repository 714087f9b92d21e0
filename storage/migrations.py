"""The schema, step by step. Never edit a step that has shipped: add one to STEPS.

The steps are plain functions of a sqlite-utils Database; `migrations()` wraps them in
sqlite-utils' Migrations only when a store needs them, so an up-to-date start never
imports sqlite_utils. The schema version is the number of steps.
"""
from __future__ import annotations


def m001_initial(db):
    # no AUTOINCREMENT: rows are never deleted (a delete is a flag), so an id is never reused
    db.executescript(
        """
        CREATE TABLE teams (
            name TEXT PRIMARY KEY,
            tz TEXT NOT NULL,
            review_date TEXT,
            digest_weekday INTEGER NOT NULL DEFAULT 0,   -- 0 = Monday
            digest_time TEXT NOT NULL DEFAULT '09:00',
            digest_tz TEXT,                              -- null: the team's tz
            digest_enabled INTEGER NOT NULL DEFAULT 1,
            digest_since TEXT NOT NULL,                  -- first digest is the first slot after this
            created_at TEXT NOT NULL
        );
        CREATE TABLE channels (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            platform TEXT NOT NULL,
            team TEXT NOT NULL,
            private INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX channels_team ON channels(team);
        CREATE TABLE people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            seen_at TEXT NOT NULL
        );
        CREATE INDEX people_name ON people(name COLLATE NOCASE);
        CREATE TABLE goals (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            team TEXT NOT NULL,
            quarter TEXT NOT NULL,
            owner TEXT,
            creator TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'strategic',
            due TEXT,
            status TEXT,
            note TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX goals_team_quarter ON goals(team, quarter, deleted);
        CREATE TABLE goal_events (
            id INTEGER PRIMARY KEY,
            goal_id INTEGER NOT NULL REFERENCES goals(id),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            action TEXT NOT NULL,          -- create | edit | status | delete
            changes TEXT NOT NULL,         -- JSON {field: [old, new]}
            note TEXT
        );
        CREATE INDEX goal_events_goal ON goal_events(goal_id, id);
        CREATE INDEX goal_events_at ON goal_events(at);
        CREATE TABLE learnings (
            id INTEGER PRIMARY KEY,
            goal_id INTEGER REFERENCES goals(id),
            team TEXT NOT NULL,
            quarter TEXT NOT NULL,
            text TEXT NOT NULL,
            by TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX learnings_team_quarter ON learnings(team, quarter);
        CREATE INDEX learnings_goal ON learnings(goal_id);
        CREATE TABLE kpis (
            id INTEGER PRIMARY KEY,
            team TEXT NOT NULL,
            name TEXT NOT NULL,
            unit TEXT,
            target REAL,
            better TEXT NOT NULL DEFAULT 'up',
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            UNIQUE (team, name)
        );
        CREATE TABLE kpi_values (
            id INTEGER PRIMARY KEY,
            kpi_id INTEGER NOT NULL REFERENCES kpis(id),
            at TEXT NOT NULL,
            value REAL NOT NULL,
            by TEXT NOT NULL
        );
        CREATE INDEX kpi_values_kpi ON kpi_values(kpi_id, at);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            key TEXT UNIQUE,               -- channel|kind|slot: the exactly-once claim
            channel_key TEXT NOT NULL,
            platform TEXT NOT NULL,
            kind TEXT NOT NULL,
            slot TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            claimed_at TEXT,
            claimed_by TEXT,
            delivered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX outbox_pending ON outbox(platform, delivered_at);
        CREATE TABLE events_seen (
            event_id TEXT PRIMARY KEY,
            at TEXT NOT NULL
        );
        """
    )


def m002_schedule(db):
    # the scheduler's look-ups: the latest digest queued for a channel, a week's learnings of a team;
    # review_set_at: a reminder whose time passed before the review date was set is not sent late.
    # One statement at a time (executescript would commit the migration's transaction early).
    db.execute("CREATE INDEX IF NOT EXISTS outbox_channel_kind_slot ON outbox(channel_key, kind, slot)")
    db.execute("CREATE INDEX IF NOT EXISTS learnings_team_at ON learnings(team, at)")
    if "review_set_at" not in db["teams"].columns_dict:
        db.execute("ALTER TABLE teams ADD COLUMN review_set_at TEXT")


def m005_goal_created_event(db):
    # a new goal's 'create' event is written by the same statement that adds the goal: one statement per
    # `goal add` (its changes as the core wrote them: each field from null to its value)
    db.execute("""
        CREATE TRIGGER goal_created AFTER INSERT ON goals BEGIN
            INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (
                NEW.id, NEW.created_at, NEW.creator, 'create',
                json_object('title', json_array(NULL, NEW.title), 'team', json_array(NULL, NEW.team),
                            'quarter', json_array(NULL, NEW.quarter), 'owner', json_array(NULL, NEW.owner),
                            'kind', json_array(NULL, NEW.kind), 'due', json_array(NULL, NEW.due)),
                NULL);
        END
    """)


def m006_goal_counts(db):
    # a quarter's goals by status, kept by the statements that change them: the digest's counts cost the
    # same with a hundred thousand goals as with ten ('none' stands for no status yet)
    db.execute("""
        CREATE TABLE goal_counts (
            team TEXT NOT NULL, quarter TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (team, quarter, status)
        ) WITHOUT ROWID
    """)
    db.execute("""
        INSERT INTO goal_counts SELECT team, quarter, COALESCE(status, 'none'), COUNT(*) FROM goals
        WHERE deleted = 0 GROUP BY team, quarter, COALESCE(status, 'none')
    """)
    db.execute("""
        CREATE TRIGGER goal_counts_insert AFTER INSERT ON goals WHEN NEW.deleted = 0 BEGIN
            INSERT INTO goal_counts VALUES (NEW.team, NEW.quarter, COALESCE(NEW.status, 'none'), 1)
                ON CONFLICT DO UPDATE SET n = n + 1;
        END
    """)
    db.execute("""
        CREATE TRIGGER goal_counts_update AFTER UPDATE OF team, quarter, status, deleted ON goals BEGIN
            UPDATE goal_counts SET n = n - 1 WHERE OLD.deleted = 0 AND team = OLD.team
                AND quarter = OLD.quarter AND status = COALESCE(OLD.status, 'none');
            INSERT INTO goal_counts SELECT NEW.team, NEW.quarter, COALESCE(NEW.status, 'none'), 1
                WHERE NEW.deleted = 0 ON CONFLICT DO UPDATE SET n = n + 1;
        END
    """)


def m004_slack_inbox(db):
    # Slack deliveries recorded before the ack (events, slash commands), so an acked one is finished
    # after a crash; applied_at is set in the same commit as the command's own writes. And the Web API
    # posts of outbox rows that were attempted, so a post that may have reached Slack is looked for first.
    db.execute("CREATE TABLE IF NOT EXISTS slack_inbox (key TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL,"
               " worker TEXT NOT NULL, received_at TEXT NOT NULL, applied_at TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS slack_inbox_unapplied ON slack_inbox(applied_at)")
    db.execute("CREATE TABLE IF NOT EXISTS slack_post_attempts (outbox_id INTEGER PRIMARY KEY, at TEXT NOT NULL)")


def m003_quarter_life(db):
    # a quarter's close instant (review close, #endmeeting, or settled when a review date moved) fixes its review;
    # the primary key makes a second close of the same quarter a no-op, whichever process comes first
    db.execute("CREATE TABLE IF NOT EXISTS quarter_closes (team TEXT NOT NULL, quarter TEXT NOT NULL,"
               " at TEXT NOT NULL, by TEXT NOT NULL, how TEXT NOT NULL, PRIMARY KEY (team, quarter))")
    columns = db["teams"].columns_dict
    for name, kind in (("title", "TEXT"), ("size", "INTEGER"), ("time", "TEXT")):  # time: JSON {quarter: {kind: %}}
        if name not in columns:
            db.execute(f"ALTER TABLE teams ADD COLUMN {name} {kind}")


def m009_meetings(db):
    # review meetings (MeetBot-style): the meeting, its chairs, its typed items, every line said while it ran,
    # and its action items; running_channel is set only while it runs, so one channel holds one running meeting
    # whichever process starts it; a line's ref (Slack's ts) is logged once per meeting
    db.execute("""
        CREATE TABLE IF NOT EXISTS meetings (
            id INTEGER PRIMARY KEY, team TEXT NOT NULL, channel_key TEXT NOT NULL, channel_name TEXT NOT NULL,
            platform TEXT NOT NULL, title TEXT NOT NULL, quarter TEXT, started_at TEXT NOT NULL,
            started_by TEXT NOT NULL, started_ref TEXT UNIQUE, ended_at TEXT, ended_by TEXT, end_how TEXT,
            running_channel TEXT UNIQUE
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS meetings_team ON meetings(team, id)")
    db.execute("CREATE TABLE IF NOT EXISTS meeting_chairs (id INTEGER PRIMARY KEY, meeting_id INTEGER NOT NULL"
               " REFERENCES meetings(id), who TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, UNIQUE (meeting_id, who))")
    db.execute("""
        CREATE TABLE IF NOT EXISTS meeting_items (
            id INTEGER PRIMARY KEY, meeting_id INTEGER NOT NULL REFERENCES meetings(id), kind TEXT NOT NULL,
            text TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, goal_id INTEGER, action_id INTEGER,
            undone_at TEXT
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS meeting_items_meeting ON meeting_items(meeting_id, id)")
    db.execute("""
        CREATE TABLE IF NOT EXISTS meeting_lines (
            id INTEGER PRIMARY KEY, meeting_id INTEGER NOT NULL REFERENCES meetings(id), at TEXT NOT NULL,
            by TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, ref TEXT, UNIQUE (meeting_id, ref)
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS meeting_lines_meeting ON meeting_lines(meeting_id, id)")
    db.execute("""
        CREATE TABLE IF NOT EXISTS actions (
            id INTEGER PRIMARY KEY, meeting_id INTEGER NOT NULL REFERENCES meetings(id), team TEXT NOT NULL,
            owner TEXT NOT NULL, text TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, done_at TEXT,
            done_by TEXT, note TEXT, deleted INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS actions_team ON actions(team, done_at)")
    if "meeting" not in db["goal_events"].columns_dict:  # the meeting a status was set in
        db.execute("ALTER TABLE goal_events ADD COLUMN meeting INTEGER")


def m010_wiki(db):
    # per wiki page Goalkeeper publishes to: the revision it last wrote and the section text as the wiki
    # stored it (what a person's edit is told apart from); pending is the text of a save whose outcome
    # was never heard (the wiki went away mid-save), so it is not mistaken for a person's edit
    db.execute("CREATE TABLE IF NOT EXISTS wiki_pages (api TEXT NOT NULL, title TEXT NOT NULL, revision INTEGER,"
               " section TEXT, pending TEXT, written_at TEXT, by TEXT, PRIMARY KEY (api, title))")


def m007_corrections(db):
    # corrections are history, never erasure: a KPI value or learning is marked deleted (when, by whom), a
    # learning's edits are appended events; several owners and shared teams in their own rows (goals.owner
    # stays the first owner); a carried goal names the goal it continues
    columns = db["kpi_values"].columns_dict
    for name in ("deleted_at", "deleted_by"):
        if name not in columns:
            db.execute(f"ALTER TABLE kpi_values ADD COLUMN {name} TEXT")
    columns = db["learnings"].columns_dict
    for name in ("deleted_at", "deleted_by"):
        if name not in columns:
            db.execute(f"ALTER TABLE learnings ADD COLUMN {name} TEXT")
    if "continues" not in db["goals"].columns_dict:
        db.execute("ALTER TABLE goals ADD COLUMN continues INTEGER")
    db.execute("CREATE INDEX IF NOT EXISTS goals_continues ON goals(continues)")
    db.execute("CREATE TABLE IF NOT EXISTS learning_events (id INTEGER PRIMARY KEY, learning_id INTEGER NOT NULL,"
               " at TEXT NOT NULL, by TEXT NOT NULL, action TEXT NOT NULL, changes TEXT NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS learning_events_learning ON learning_events(learning_id, id)")
    db.execute("CREATE TABLE IF NOT EXISTS goal_owners (goal_id INTEGER NOT NULL, pos INTEGER NOT NULL,"
               " who TEXT NOT NULL, PRIMARY KEY (goal_id, pos))")
    db.execute("CREATE INDEX IF NOT EXISTS goal_owners_who ON goal_owners(who)")
    db.execute("CREATE TABLE IF NOT EXISTS goal_shares (goal_id INTEGER NOT NULL, team TEXT NOT NULL,"
               " PRIMARY KEY (goal_id, team))")
    db.execute("CREATE INDEX IF NOT EXISTS goal_shares_team ON goal_shares(team)")

def m008_checkins(db):
    # the weekly check-in: its slot per team (default Thursday 10:00, weekday 3), each team's pass claimed once
    # per slot (the claim and its messages in one commit), and structured data on outbox rows (owner, goals)
    # so Slack can build menus from it; the learning index serves the check-in's "learning in 7 days" look-up
    columns = db["teams"].columns_dict
    for name, kind in (("checkin_weekday", "INTEGER NOT NULL DEFAULT 3"), ("checkin_time", "TEXT NOT NULL DEFAULT '10:00'"),
                       ("checkin_enabled", "INTEGER NOT NULL DEFAULT 1"), ("checkin_since", "TEXT")):
        if name not in columns:
            db.execute(f"ALTER TABLE teams ADD COLUMN {name} {kind}")
    if "data" not in db["outbox"].columns_dict:
        db.execute("ALTER TABLE outbox ADD COLUMN data TEXT")
    db.execute("CREATE TABLE IF NOT EXISTS checkin_passes (team TEXT NOT NULL, slot TEXT NOT NULL, at TEXT NOT NULL,"
               " PRIMARY KEY (team, slot))")
    db.execute("CREATE INDEX IF NOT EXISTS goal_events_goal_action_at ON goal_events(goal_id, action, at)")
    db.execute("CREATE INDEX IF NOT EXISTS learnings_goal_at ON learnings(goal_id, at)")


STEPS = [m001_initial, m002_schedule, m004_slack_inbox, m005_goal_created_event, m006_goal_counts, m003_quarter_life,
         m009_meetings, m010_wiki, m007_corrections, m008_checkins]
SCHEMA_VERSION = len(STEPS)  # PRAGMA user_version of a store with every step applied
MIGRATION_SET = "goalkeeper"


def migrations():
    """The steps as sqlite-utils Migrations (imports sqlite_utils: call it only when a step is pending)."""
    from sqlite_utils.migrations import Migrations

    m = Migrations(MIGRATION_SET)
    for step in STEPS:
        m(name=step.__name__)(step)
    return m
