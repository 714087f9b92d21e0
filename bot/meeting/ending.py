"""How a meeting ends: `#endmeeting` (closing the quarter it reviewed), or 6 hours of silence."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..grammar import UsageError
from ..model import Reply
from ..quarters import quarter_from_label
from ..review.service import CloseRefused, close_quarter
from ..times import iso

SILENCE = timedelta(hours=6)


def end_meeting(ctx) -> list[Reply]:
    """Ends the meeting now and closes the quarter it reviewed, in one transaction; then says where
    the minutes are. Each of `core.meeting_ended` (e.g. a wiki publisher) may add lines to the reply."""
    store, m = ctx.store, ctx.meeting
    closed_text = ""
    with ctx.write(m["team"]) as conn:
        if not store.end_meeting(conn, m["id"], iso(ctx.now), ctx.actor.id, "#endmeeting"):
            raise UsageError(f"M{m['id']} has ended already", "#endmeeting")
        if m["quarter"]:
            quarter = quarter_from_label(m["quarter"], ctx.config.fiscal_start)
            try:
                close_quarter(store, conn, ctx.config, m["team"], quarter, ctx.now, ctx.actor.id,
                              how=f"#endmeeting M{m['id']}")
                closed_text = (f"{ctx.r.text(m['team'])} {quarter.label} is closed: its review stays as it "
                               "stands now; later changes are listed apart")
            except CloseRefused as e:
                closed_text = f"{quarter.label} was not closed: {e}"
    lines = [ended_line(store, m, "ended"), closed_text] if closed_text else [ended_line(store, m, "ended")]
    lines.append(where_minutes(ctx.r, m["id"]))
    for hook in ctx.core.meeting_ended:  # the one place more lines join the reply (published at <url>)
        try:
            lines += hook(m["id"], ctx.now) or []
        except Exception as e:  # a hook's fault never undoes the end
            ctx.core.log(f"meeting M{m['id']} end hook {getattr(hook, '__name__', hook)}: {type(e).__name__}: {e}")
    return [Reply("\n".join(lines), public=True)]


def ended_line(store, m: dict, how: str) -> str:
    c = store.meeting_counts(m["id"])
    return (f"meeting M{m['id']} {how}: {c['lines']} lines, {c['items']} items, {c['actions']} action "
            f"item{'s' * (c['actions'] != 1)}, {c['goals']} goal{'s' * (c['goals'] != 1)} changed")


def where_minutes(r, mid: int) -> str:
    if r.uploads:
        return f"minutes: minutes M{mid} (the summary and the HTML file)"
    return f"minutes: minutes M{mid} in chat; the file: goalkeeper minutes M{mid} --format html|md|wiki"


def expire(core, now: datetime) -> int:
    """Ends every meeting silent for 6 hours, as at its last line, and tells its channel; how many ended."""
    n = 0
    store = core.store
    for m in store.silent_meetings(iso(now - SILENCE)):
        with store.write() as conn:
            if not store.end_meeting(conn, m["id"], m["last_at"], "goalkeeper", "silence"):
                continue
            text = (ended_line(store, m, "ended after 6 hours of silence, as at its last line")
                    + f"; nothing was closed. The minutes: minutes M{m['id']}")
            store.enqueue(conn, f"meeting-end|M{m['id']}", m["channel_key"], m["platform"], "meeting", m["last_at"],
                          text, now)
        n += 1
    return n
