"""The `goalkeeper` program: the one place where store, clock, core and an adapter are wired together.

Slack and IRC libraries are imported only by their own subcommands, so `--help` and
the console start fast.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from typing import Mapping

from bot.config import Config, ConfigError

FORMATS = ("md", "html", "wiki")


class StoreOpenError(Exception):
    pass


def build(env: Mapping[str, str] | None = None):
    """(config, store, bot) from the environment."""
    from bot.core import Goalkeeper
    from storage.sqlite import Store

    env = os.environ if env is None else env
    config = Config.from_env(env)
    try:
        store = Store(config.db_path, busy_timeout_ms=config.busy_timeout_ms)
    except Exception as e:  # sqlite3.Error, OSError: a path that cannot hold a database
        raise StoreOpenError(f"GOALKEEPER_DB: cannot open {config.db_path!r} as a database ({e})") from None
    return config, store, Goalkeeper(store, config)


def parse_now(text: str | None, tz: str):
    """--now ISO: a naive time is read in GOALKEEPER_TZ."""
    from bot.times import zone

    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--now: {text!r} is not an ISO 8601 time (like 2016-01-04T10:00)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=zone(tz))


def make_clock(now):
    from adapters.console import utc_now

    return (lambda: now) if now is not None else utc_now


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="goalkeeper",
        description="Goalkeeper: a team's quarterly goals, learnings and KPIs, in Slack, IRC or the console.",
    )
    sub = p.add_subparsers(dest="cmd", metavar="command")
    c = sub.add_parser("console", help="the local chat: lines on standard input, replies on standard output")
    c.add_argument("--channel", default="#general", help="the channel you speak in (default #general)")
    c.add_argument("--user", default=os.environ.get("USER") or "me", help="who you are (default $USER)")
    c.add_argument("--now", help="pin the clock to this ISO 8601 time (demos and tests)")
    sub.add_parser("irc", help="serve IRC channels (configured by IRC_* variables)")
    sub.add_parser("slack", help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)")
    t = sub.add_parser("tick", help="one scheduler pass: queue due reminders and digests, deliver what it can")
    t.add_argument("--now", help="the instant of the pass (ISO 8601); default: now")
    r = sub.add_parser("review", help="write a team's quarterly review")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--team", help="the team")
    who.add_argument("--all", action="store_true", help="every team on one page")
    r.add_argument("--quarter", help="Q3, 2016Q1, FY2016Q3, this, next, last (default: this)")
    r.add_argument("--format", choices=FORMATS, default="md")
    r.add_argument("-o", "--output", help="write to this file (default: standard output)")
    r.add_argument("--now", help="the instant the review is written at (ISO 8601); default: now")
    e = sub.add_parser("export", help="the whole store as one JSON document")
    e.add_argument("--format", choices=("json",), default="json")
    e.add_argument("-o", "--output", help="write to this file (default: standard output)")
    i = sub.add_parser("import", help="load an export into an empty store")
    i.add_argument("file", help="the JSON document (- for standard input)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.cmd:
        parser().print_help()
        return 0
    try:
        return _run(args)
    except ConfigError as e:
        print(f"goalkeeper: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except StoreOpenError as e:
        print(f"goalkeeper: {e}", file=sys.stderr)
        return 2


def _run(args) -> int:
    env = os.environ
    if args.cmd == "console":
        config = Config.from_env(env)
        clock = make_clock(parse_now(args.now, config.tz))
        from adapters.console import run

        _, _, bot = build(env)
        return run(bot, args.channel, args.user, clock)
    if args.cmd == "tick":
        config, store, bot = build(env)
        now = make_clock(parse_now(args.now, config.tz))()
        from adapters.console import deliver

        bot.tick(now)
        deliver(bot, now)
        if (env.get("SLACK_BOT_TOKEN") or "").strip():  # Slack takes posts without a running process
            from adapters.slack import deliver_outbox

            deliver_outbox(env, bot, now)
        return 0
    if args.cmd == "irc":
        from adapters import irc

        _, _, bot = build(env)
        return irc.serve(env, bot) or 0
    if args.cmd == "slack":
        from adapters import slack

        _, _, bot = build(env)
        return slack.serve(env, bot) or 0
    if args.cmd == "review":
        return _review(args, env)
    if args.cmd == "export":
        _, store, _ = build(env)
        text = json.dumps(store.export(), indent=2, ensure_ascii=False) + "\n"
        return _write(text, args.output)
    if args.cmd == "import":
        return _import(args.file, env)
    return 2


def _write(text: str, path: str | None) -> int:
    if not path or path == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        print(f"goalkeeper: error: cannot write {path}: {e.strerror}", file=sys.stderr)
        return 1
    return 0


def _import(path: str, env) -> int:
    from storage.exchange import ImportError_

    try:
        raw = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        doc = json.loads(raw)
    except OSError as e:
        print(f"goalkeeper: error: cannot read {path}: {e.strerror}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"goalkeeper: error: {path} is not JSON: {e}", file=sys.stderr)
        return 1
    _, store, _ = build(env)
    try:
        counts = store.import_(doc)
    except ImportError_ as e:
        print(f"goalkeeper: error: {e}", file=sys.stderr)
        return 1
    except (KeyError, TypeError, ValueError) as e:
        print(f"goalkeeper: error: the document is malformed ({type(e).__name__}: {e}); nothing was imported",
              file=sys.stderr)
        return 1
    except Exception as e:  # sqlite3.IntegrityError and kin: the transaction rolled back
        print(f"goalkeeper: error: the document does not fit ({e}); nothing was imported", file=sys.stderr)
        return 1
    print("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def _review(args, env) -> int:
    from bot import review as rv
    from bot.quarters import QuarterError, parse_quarter, quarter_of
    from bot.times import zone

    config, store, _ = build(env)
    now = make_clock(parse_now(args.now, config.tz))()
    doc = store.export(team=None if args.all else args.team.lower())
    tz = config.tz
    if not args.all:
        team = next((t for t in doc["teams"] if t["name"] == args.team.lower()), None)
        if team is None and not doc["goals"]:
            print(f"goalkeeper: error: there is no team {args.team!r} (teams: "
                  + ", ".join(t["name"] for t in store.teams()) + ")",
                  file=sys.stderr)
            return 1
        tz = team["tz"] if team else tz
    today = now.astimezone(zone(tz)).date()
    try:
        quarter = parse_quarter(args.quarter, today, config.fiscal_start) if args.quarter else quarter_of(
            today, config.fiscal_start)
    except QuarterError as e:
        print(f"goalkeeper: error: {e}", file=sys.stderr)
        return 2
    if args.all:
        reviews = rv.build_all(doc, quarter, now, default_tz=config.tz)
        text = {"md": rv.render_all_markdown, "wiki": rv.render_all_wiki}.get(args.format)
        out = text(reviews) if text else rv.render_html(reviews, f"Quarterly review {quarter.label}")
    else:
        review = rv.build_review(doc, args.team.lower(), quarter, now, default_tz=config.tz)
        if args.format == "html":
            out = rv.render_html([review], f"{review.team} · quarterly review {quarter.label}")
        else:
            out = (rv.render_markdown if args.format == "md" else rv.render_wiki)(review)
    return _write(out if out.endswith("\n") else out + "\n", args.output)


if __name__ == "__main__":
    sys.exit(main())
