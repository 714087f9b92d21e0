"""The review as a service: which quarter, which team, built once, written in any format.
Chat (`review`) and the `goalkeeper review` program both come here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..quarters import Quarter, QuarterError, parse_quarter, quarter_of
from ..times import zone
from . import build as rv_build, deck as rv_deck, text as rv_text

FORMATS = ("md", "html", "wiki")


class ReviewError(ValueError):
    """A review that cannot be written (an unknown team, a bad quarter); str() is one line."""


@dataclass
class ReviewDocument:
    reviews: list
    title: str
    whole_organisation: bool = False

    def chat(self, renderer) -> list[str]:
        return rv_text.render_chat(self.reviews[0], renderer)

    def html(self) -> str:
        return rv_deck.render_html(self.reviews, self.title)

    def text(self, fmt: str) -> str:
        if fmt == "html":
            return self.html()
        if self.whole_organisation:
            return (rv_text.render_all_markdown if fmt == "md" else rv_text.render_all_wiki)(self.reviews)
        return (rv_text.render_markdown if fmt == "md" else rv_text.render_wiki)(self.reviews[0])


def team_zone(store, config, team: str) -> str:
    row = store.team(team)
    return row["tz"] if row else config.tz


def pick_quarter(text: str | None, store, config, team: str | None, now: datetime) -> Quarter:
    """`--quarter`/`quarter:` if given, else the quarter of today in the team's zone."""
    tz = team_zone(store, config, team) if team else config.tz
    today = now.astimezone(zone(tz)).date()
    if not text:
        return quarter_of(today, config.fiscal_start)
    try:
        return parse_quarter(text, today, config.fiscal_start)
    except QuarterError as e:
        raise ReviewError(str(e)) from None


def review_document(store, config, team: str, quarter: Quarter, now: datetime) -> ReviewDocument:
    doc = store.export(team=team)
    review = rv_build.build_review(doc, team, quarter, now, default_tz=config.tz)
    return ReviewDocument([review], f"{team} · quarterly review {quarter.label}")


def organisation_document(store, config, quarter: Quarter, now: datetime) -> ReviewDocument:
    reviews = rv_build.build_all(store.export(), quarter, now, default_tz=config.tz)
    return ReviewDocument(reviews, f"Quarterly review {quarter.label}", whole_organisation=True)


def known_team(store, team: str) -> bool:
    """A team with a record, or one that appears only on goals (as `review` has always allowed)."""
    return store.team(team) is not None or bool(store.export(team=team)["goals"])
