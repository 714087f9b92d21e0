"""What `help <command>` teaches: each option, the date and quarter forms, the defaults, an example.

One table for every command, so a command's help is written once and tested once
(tests/test_help.py runs every example)."""
from __future__ import annotations

from ..quarters import QUARTER_USAGE

DATES = ("dates: next friday (the Friday of next week), friday (the coming one), in 2 weeks, 2016-01-22, Jan 22,"
         " tomorrow, end of quarter, end of Q3, end of March, end of month, end of next quarter; a quarter label"
         " alone (FY2016Q3, 2016Q1, Q3, Q4 2015, next quarter) is that quarter's last day; read in the team's"
         " time zone; a date in the past is refused")
QUARTERS = f"quarters: {QUARTER_USAGE}; a label without FY is the calendar quarter (2016Q1 is Jan-Mar 2016)"
WORD_ORDER = ("options may come first or between words; a one-word option takes one word unless quoted"
              " (team:\"big team\"); the words left over are the text")

# what each option key means, for every command that takes it
KEYS = {
    "team": "team:<t>  the team (default: the channel's team; in a private message say it)",
    "owner": "owner:<who>  owner:greg, owner:@greg, owner:me; several: owner:greg,mark (at most 10); default: you",
    "shared": "shared:<team>[,<team>]  other teams that see and may change the goal; shared:none for none",
    "due": "due:<when>  the due date (see dates); due:none clears it",
    "quarter": "quarter:<q>  the quarter (see quarters)",
    "kind": "kind:<k>  the goal's kind, one of GOALKEEPER_KINDS",
    "status": "status:<s>  on-track, at-risk, off-track, hit, partial, miss, dropped, or none (no status yet)",
    "title": "title:<text>  the title (words up to the next option)",
    "unit": "unit:<u>  the unit values are in (min, %, ms)",
    "target": "target:<n>  the value to reach",
    "better": "better:up|down  which way is better (default: up)",
    "tz": "tz:<zone>  an IANA time zone, e.g. Europe/Berlin",
    "size": "size:<people>  how many people the team has",
}

# per command: (defaults, example); the example runs as written in a channel with goals #1 and #2
# (#2 deleted), a KPI time-to-merge with a value, a learning L1 and a meeting M1 with action A1 for mark
MANUAL = {
    "goal add": ("kind: the first of GOALKEEPER_KINDS; owner: you; quarter: the due date's, else the"
                 " current one; team: the channel's", "goal add owner:mark due:Friday Ship the release notes"),
    "goal list": ("the current quarter, and the quarter under review's goals still without a final status;"
                  " goals shared with the team too", "goal list owner:me status:none"),
    "goal show": ("a deleted goal shows too, marked deleted", "goal show 1"),
    "goal edit": ("a new due date moves the goal to that date's quarter unless quarter: says otherwise;"
                  " due:none keeps the quarter", "goal edit 1 due:end of March owner:greg,mark"),
    "goal status": ("on track / at risk in two words work too", "goal status 1 at-risk waits on the RfC"),
    "goal hit": ("the note is optional", "goal hit 1 all jobs migrated"),
    "goal partial": ("the note is optional", "goal partial 1 half the repositories"),
    "goal miss": ("the note is optional", "goal miss 1 waits on the RfC"),
    "goal delete": ("its history stays; goal restore brings it back", "goal delete 1"),
    "goal restore": ("for its owners, its creator or an admin", "goal restore 2"),
    "goal carry": ("the next quarter after the goal's; the old goal keeps its quarter and status",
                   "goal carry 1 quarter:next"),
    "learning": ("a first word that is a goal id (12 or #12) puts it on that goal; otherwise it is the team's,"
                 " for the quarter under review while there is one, else this quarter",
                 "learning 1 Still mostly a one-person job; the silo effect is strong"),
    "learnings": ("the quarter under review while there is one, else this quarter; newest first",
                  "learnings quarter:this silo"),
    "learning edit": ("for its author or an admin; the old text stays in the history",
                      "learning edit L1 The silo effect is strong"),
    "learning delete": ("for its author or an admin; it stays in the export, marked deleted", "learning delete L1"),
    "kpi add": ("better: up; no unit, no target", "kpi add review-time unit:min better:down target:30"),
    "kpi": ("recorded now; a value is a number, optionally with the KPI's unit (6, 6 min, 99.979%)",
            "kpi time-to-merge 6 min"),
    "kpi undo": ("the latest value not yet taken back; for who recorded it or an admin", "kpi undo time-to-merge"),
    "kpi list": ("the quarter under review while there is one, else this quarter", "kpi list quarter:this"),
    "review": ("the quarter under review while there is one, else this quarter", "review quarter:this"),
    "review date": ("the team's time zone; reviews the quarter ending up to 30 days before it",
                    "review date in 3 weeks"),
    "review publish": ("the quarter under review while there is one, else this quarter; needs GOALKEEPER_WIKI_*",
                       "review publish quarter:this"),
    "review close": ("the quarter under review (admins)", "review close quarter:last"),
    "digest": ("the channel's team, now", "digest"),
    "digest schedule": ("Monday 09:00 in the team's time zone until set", "digest schedule monday 09:00 tz:Europe/Berlin"),
    "digest off": ("the channel's team", "digest off"),
    "checkin schedule": ("Thursday 10:00 in the team's time zone until set (admins)", "checkin schedule friday 15:00"),
    "checkin off": ("the channel's team (admins); checkin schedule turns it back on", "checkin off"),
    "team set": ("time zone: GOALKEEPER_TZ (UTC) until set", "team set releng tz:America/Los_Angeles size:5"),
    "team time": ("the current quarter; percents of GOALKEEPER_KINDS adding up to at most 100",
                  "team time strategic:20 core:80"),
    "team show": ("the channel's team", "team show"),
    "meetings": ("the channel's team; newest first", "meetings"),
    "minutes": ("the meeting's items and log, as recorded", "minutes M1"),
    "actions": ("the team's open action items (all: done ones too)", "actions owner:mark"),
    "action done": ("for its owner, a chair of its meeting or an admin; the note is optional",
                    "action done A1 sent on Friday"),
    "help": ("every command; help <command> for one", "help goal add"),
}


def manual(cmd, config) -> list[str]:
    """The lines `help <command>` adds below the usage: options, forms, defaults, example."""
    defaults, example = MANUAL.get(cmd.name, ("", ""))
    lines = []
    keys = cmd.keys
    if keys:
        lines.append("options:")
        lines += [f"  {KEYS[k]}" for k in keys if k in KEYS]
        lines.append(f"  ({WORD_ORDER})")
    if "due" in keys or "<when>" in cmd.usage:
        lines.append(DATES)
    if "quarter" in keys:
        lines.append(QUARTERS)
    if defaults:
        kinds = ", ".join(config.kinds)
        lines.append(f"defaults: {defaults}" + (f" (kinds: {kinds}; default kind {config.kinds[0]})"
                                                 if "kind" in keys else ""))
    if example:
        lines.append(f"example: {example}")
    return lines
