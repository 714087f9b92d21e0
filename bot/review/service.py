"""The review as a service: which quarter, which team, built once, written in any format.
Chat (`review`) and the `goalkeeper review` program both come here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..life import close_instant, settle, team_under_review
from ..quarters import Quarter, QuarterError, parse_quarter, quarter_of
from ..times import iso, parse_iso, zone
from . import build as rv_build, deck as rv_deck, text as rv_text

FORMATS = ("md", "html", "wiki")


class ReviewError(ValueError):
    """A review that cannot be written (an unknown team, a bad quarter); str() is one line."""


@dataclass
class ReviewDocument:
    reviews: list
    title: str
    whole_organisation: bool = False
    band: tuple = (60, 80)

    def chat(self, renderer) -> list[str]:
        return rv_text.render_chat(self.reviews[0], renderer)

    def html(self) -> str:
        return rv_deck.render_html(self.reviews, self.title)

    def text(self, fmt: str) -> str:
        if fmt == "html":
            return self.html()
        if self.whole_organisation:
            return (rv_text.render_all_markdown if fmt == "md" else rv_text.render_all_wiki)(
                self.reviews, band=self.band)
        return (rv_text.render_markdown if fmt == "md" else rv_text.render_wiki)(self.reviews[0])


def team_zone(store, config, team: str) -> str:
    row = store.team(team)
    return row["tz"] if row else config.tz


def pick_quarter(text: str | None, store, config, team: str | None, now: datetime,
                 teams: list[str] | None = None) -> Quarter:
    """`--quarter`/`quarter:` if given, else the quarter under review (of the team, or of any of the
    organisation's teams), else the quarter of today in the team's zone."""
    tz = team_zone(store, config, team) if team else config.tz
    today = now.astimezone(zone(tz)).date()
    if not text:
        for t in [team] if team else (teams if teams is not None else [r["name"] for r in store.teams()]):
            q = team_under_review(store, config, t, now)
            if q is not None:
                return q
        return quarter_of(today, config.fiscal_start)
    try:
        return parse_quarter(text, today, config.fiscal_start)
    except QuarterError as e:
        raise ReviewError(str(e)) from None


def review_document(store, config, team: str, quarter: Quarter, now: datetime) -> ReviewDocument:
    doc = store.export(team=team)
    review = rv_build.build_review(doc, team, quarter, now, default_tz=config.tz, kinds=config.kinds)
    return ReviewDocument([review], f"{review.title or team} · quarterly review {quarter.label}")


def organisation_document(store, config, quarter: Quarter, now: datetime,
                          teams: list[str] | None = None) -> ReviewDocument:
    """Every team (or `teams`, in that order: the meeting's agenda) on one page, the summary first."""
    reviews = rv_build.build_all(store.export(), quarter, now, default_tz=config.tz, teams=teams, kinds=config.kinds)
    return ReviewDocument(reviews, f"Quarterly review {quarter.label}", whole_organisation=True, band=config.hit_band)


def known_team(store, team: str) -> bool:
    """A team with a record, or one that appears only on goals (as `review` has always allowed)."""
    return store.team(team) is not None or bool(store.export(team=team)["goals"])


class CloseRefused(ValueError):
    """A quarter that cannot be closed now (not ended, already closed); str() says why."""


def close_quarter(store, conn, config, team: str, quarter: Quarter, now: datetime, by: str,
                  how: str = "review close") -> datetime:
    """Closes the team's quarter at `now` inside the caller's write transaction (`review close`, a review
    meeting's #endmeeting); its review is fixed from then on. Returns the close instant."""
    row = store.team(team) or {}
    tz = row.get("tz") or config.tz
    end = quarter.bounds(zone(tz))[1]
    if now < end:
        raise CloseRefused(f"{quarter.label} has not ended yet: it runs until {quarter.end.isoformat()} "
                           f"({tz}); a quarter closes after its end")
    at = close_instant(quarter, tz, row.get("review_date"), store.closes(team))
    if now >= at:
        raise CloseRefused(f"{team} {quarter.label} is already closed (since {_local(at, tz)})")
    prior = store.close_quarter(conn, team, quarter.label, iso(now), by, how)
    if prior is not None:  # another process closed it first
        raise CloseRefused(f"{team} {quarter.label} is already closed (since {_local(parse_iso(prior), tz)})")
    return now


def settle_closes(store, conn, config, team: str, now: datetime) -> None:
    """Stores the close the team's current review date implies, before that date or the zone changes."""
    row = store.team(team)
    if not row:
        return
    for label, at in settle(now, row["tz"] or config.tz, config.fiscal_start, row["review_date"],
                            store.closes(team)).items():
        store.close_quarter(conn, team, label, at, "goalkeeper", "review day")


def _local(at: datetime, tz: str) -> str:
    return at.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M") + f" {tz}"
