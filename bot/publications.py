"""What Goalkeeper publishes, each as a Publication (page title + wikitext + edit summary): a team's review,
every team's reviews on one page, a meeting's minutes. `goalkeeper publish` and `review publish` come here."""
from __future__ import annotations

from datetime import date, datetime

from .publish import ALL_TEAMS, Publication, PublishRefused, page_title
from .quarters import Quarter, reviewed_quarter
from .review.service import organisation_document, review_document
from .times import zone


def display(store, team: str) -> str:
    """{team} in a page name: the team's display name where it has one (team set title:)."""
    row = store.team(team) or {}
    return (row.get("title") or "").strip() or team


def _review_day(store, config, team: str | None, now: datetime) -> date:
    """{date} of a review page: the team's review date, else today in its zone."""
    row = (store.team(team) if team else None) or {}
    if row.get("review_date"):
        return date.fromisoformat(row["review_date"])
    return now.astimezone(zone(row.get("tz") or config.tz)).date()


def review_publication(store, config, team: str, quarter: Quarter, now: datetime) -> Publication:
    doc = review_document(store, config, team, quarter, now)
    title = page_title(config.wiki_page, display(store, team), quarter.label, _review_day(store, config, team, now))
    return Publication(title, doc.text("wiki"), f"Goalkeeper: quarterly review of {team}, {quarter.label}",
                       f"{team} {quarter.label}")


def organisation_publication(store, config, quarter: Quarter, now: datetime,
                             teams: list[str] | None = None) -> Publication:
    doc = organisation_document(store, config, quarter, now, teams)
    title = page_title(config.wiki_page, ALL_TEAMS, quarter.label, _review_day(store, config, None, now))
    names = ", ".join(teams) if teams else "every team"
    return Publication(title, doc.text("wiki"), f"Goalkeeper: quarterly reviews of {names}, {quarter.label}",
                       f"{names} {quarter.label}")


def meeting_minutes(store, config, meeting_id: int, now: datetime) -> tuple[str, date, str]:
    """(team, date, MediaWiki minutes) of meeting M<id>, from the review meeting's own renderer."""
    from .meeting.minutes import MinutesError, meeting_wiki

    try:
        return meeting_wiki(store, config, meeting_id)
    except MinutesError as e:
        raise PublishRefused(str(e)) from None


def meeting_publication(store, config, meeting_id: int, now: datetime) -> Publication:
    team, day, wikitext = meeting_minutes(store, config, meeting_id, now)
    quarter = reviewed_quarter(day, config.fiscal_start).label  # the quarter a meeting held that day reviews
    title = page_title(config.wiki_minutes_page, display(store, team), quarter, day)
    return Publication(title, wikitext, f"Goalkeeper: minutes of meeting M{meeting_id} ({team}, {day.isoformat()})",
                       f"meeting M{meeting_id}")


def minutes_on_wiki(wiki, store, config, meeting_id: int, now: datetime, by: str) -> str | None:
    """For #endmeeting's reply: where the minutes went on the wiki, or why they did not; None when
    publishing is off. Never raises for the wiki's faults: the meeting has ended either way."""
    from .ports import WikiError
    from .publish import publish

    if wiki is None:
        return None
    try:
        out = publish(wiki, store, meeting_publication(store, config, meeting_id, now), now, by)
    except (PublishRefused, WikiError) as e:
        return f"the minutes were not published to the wiki: {e}"
    return f"minutes on the wiki: {out.url}"


def minutes_hook(core):
    """The #endmeeting hook (core.meeting_ended): publish the minutes, one line for the reply."""
    def publish_minutes(meeting_id: int, now: datetime) -> list[str]:
        line = minutes_on_wiki(core.wiki, core.store, core.config, meeting_id, now, "goalkeeper")
        return [line] if line else []

    return publish_minutes
