"""`python -m bench [--quick] [--only core,irc,...] [--json FILE] [--markdown FILE]`: every speed target, one table."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone

from .common import ROOT, Figure, Workdir, fmt

AREAS = ("core", "irc", "slack", "schedule", "review", "growth", "pg", "meeting", "wiki", "checkin")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="fewer samples: under a minute")
    p.add_argument("--only", help="comma-separated areas: " + ",".join(AREAS))
    p.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the table as Markdown")
    p.add_argument("-q", "--silent", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    areas = AREAS
    if args.only:
        areas = tuple(a.strip() for a in args.only.split(",") if a.strip())
        unknown = [a for a in areas if a not in AREAS]
        if unknown:
            p.error(f"unknown area {', '.join(unknown)} (areas: {', '.join(AREAS)})")

    def log(line: str) -> None:
        if not args.silent:
            print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)

    started = time.time()
    figs: list[Figure] = []
    work = Workdir()
    try:
        for area in areas:
            t = time.time()
            log(f"{area}: measuring")
            try:
                module = importlib.import_module(f"bench.{area}")
                figs += module.run(args.quick, work, log)
            except Exception as e:  # one area failing never hides the others
                traceback.print_exc()
                figs.append(Figure(area, f"{area}: the measurement failed", None, "",
                                   note=f"{type(e).__name__}: {str(e)[:300]}"))
            log(f"{area}: {time.time() - t:.1f} s")
    finally:
        work.close()
    meta = run_meta(args.quick, time.time() - started, areas)
    print(table(figs, meta))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "figures": [x.as_dict() for x in figs]}, f, indent=2)
            f.write("\n")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(figs, meta))
    return 0


def run_meta(quick: bool, seconds: float, areas) -> dict:
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "areas": list(areas),
        "seconds": round(seconds, 1),
        "commit": commit,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def _row(f: Figure) -> list[str]:
    floor = ""
    if f.floor is not None:
        floor = fmt(f.floor, f.floor_unit) + (f" ({f.floor_name})" if f.floor_name else "")
    ratio = ""
    if f.ratio is not None:
        ratio = f"{f.ratio * 100:.0f}%" if f.unit == "/s" or f.ratio_note.startswith("of the floor rate") else f"{f.ratio:.2f}x"
        ratio += f" {f.ratio_note}" if f.ratio_note else ""
    value = fmt(f.value, f.unit) if f.value is not None else "n.a."
    return [f.area, f.name, value, f.target, f.met, floor, ratio]


HEAD = ["area", "figure", "value", "target", "met?", "floor (same run)", "ratio"]


def table(figs: list[Figure], meta: dict) -> str:
    rows = [HEAD] + [_row(f) for f in figs]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEAD))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    out = [f"Goalkeeper bench, {meta['mode']} run, {meta['when']}, commit {meta['commit'] or '?'}, "
           f"Python {meta['python']}, SQLite {meta['sqlite']}, {meta['cpus']} CPUs, {meta['seconds']} s", "",
           line(rows[0]), line(["-" * w for w in widths])]
    out += [line(r) for r in rows[1:]]
    notes = [(i, f.note) for i, f in enumerate(figs, 1) if f.note]
    if notes:
        out += ["", "notes:"] + [f"  [{i}] {figs[i - 1].name}: {n}" for i, n in notes]
    missed = [f for f in figs if f.met == "no"]
    out += ["", f"{sum(f.met == 'yes' for f in figs)} met, {len(missed)} missed, "
                f"{sum(f.met == 'n.a.' for f in figs)} without a target or not measured"]
    return "\n".join(out)


def markdown(figs: list[Figure], meta: dict) -> str:
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    out = [f"{meta['mode'].capitalize()} run of {meta['when']} (commit {meta['commit'] or '?'}, Python {meta['python']}, "
           f"SQLite {meta['sqlite']}, {meta['cpus']} CPUs, {meta['seconds']} s):", "",
           "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    out += ["| " + " | ".join(esc(c) for c in _row(f)) + " |" for f in figs]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
