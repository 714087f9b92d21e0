"""Publishing to a wiki page without overwriting what people wrote: Goalkeeper owns only the text between
its two marker lines, appends them at the end of a page that has none, keeps every other byte, makes no
revision when nothing changed, and refuses when a person edited its section since it last wrote it.

Pure logic over two ports: the Wiki (bot.ports; adapters/wiki.py) and the store (its record of the revision
and section text Goalkeeper last wrote per page). A review and a meeting's minutes are both a Publication.
"""
from __future__ import annotations

import difflib
import string
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from .ports import WikiError, WikiPage, WikiTitleRefused

BEGIN = "<!-- goalkeeper:begin -->"
END = "<!-- goalkeeper:end -->"
TITLE_FORBIDDEN = set("#<>[]|{}")  # MediaWiki's title rules ($wgLegalTitleChars leaves these out everywhere)
TITLE_MAX_BYTES = 255
HISTORY_BATCH, HISTORY_BATCHES = 10, 5  # revisions read to find the edit that touched the section
FIELDS = ("team", "quarter", "date")
ALL_TEAMS = "All teams"  # {team} of the page that holds every team's review (--all)


class PublishRefused(Exception):
    """Publishing would overwrite a person's edit, or cannot place its section; str() is one line."""


@dataclass(frozen=True)
class Publication:
    title: str      # the page, before the wiki normalises it
    text: str       # the section's wikitext
    summary: str    # the edit summary: names the team, the quarter or meeting, and Goalkeeper
    what: str       # how replies name it ("releng FY2016Q3")


@dataclass(frozen=True)
class Outcome:
    title: str
    url: str
    action: str                  # created | updated | unchanged | would create | would update
    revision: int | None
    diff: str = ""               # --dry-run: what would change, as a unified diff of the page

    def line(self) -> str:
        rev = f" (revision {self.revision})" if self.revision else ""
        if self.action == "unchanged":
            return f"{self.title} already holds this; no new revision: {self.url}"
        if self.action.startswith("would"):
            return f"{self.action} {self.title} ({self.url}); nothing was written (--dry-run)"
        return f"{self.action} {self.title}{rev}: {self.url}"


# -- page names -------------------------------------------------------------------------------------


def template_error(template: str) -> str | None:
    """Why a GOALKEEPER_WIKI_*PAGE template cannot be filled, or None."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as e:
        return f"{template!r} is not a page name template ({e}; write {{team}}, {{quarter}}, {{date}})"
    bad = [n for n in names if n not in FIELDS]
    if bad:
        return f"{template!r} names {{{bad[0]}}}; a page name may use {{team}}, {{quarter}} and {{date}}"
    return None


def page_title(template: str, team: str, quarter: str, day: date) -> str:
    """The page name filled in, checked against the wiki's title rules (the wiki checks again)."""
    title = " ".join(template.format(team=team, quarter=quarter, date=day.isoformat()).replace("_", " ").split())
    bad = sorted({ch for ch in title if ch in TITLE_FORBIDDEN or unicodedata.category(ch).startswith("C")})
    if not title or title.startswith(":"):
        raise WikiTitleRefused(f"the page name {title!r} is not one the wiki accepts (empty or starting with ':')")
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        raise WikiTitleRefused(f"the wiki refuses {shown} in a page title, and {title!r} has it: give the team a "
                               "display name without it (team set <name> title:...) or change GOALKEEPER_WIKI_PAGE")
    if len(title.encode()) > TITLE_MAX_BYTES:
        raise WikiTitleRefused(f"the page title {title[:60]!r}... is {len(title.encode())} bytes; the wiki takes "
                               f"at most {TITLE_MAX_BYTES}")
    if "~~~" in title or title in (".", "..") or title.startswith(("./", "../")) or "/./" in title or "/../" in title:
        raise WikiTitleRefused(f"the wiki refuses the page title {title!r} ('~~~', '.' or '..' parts)")
    return title


# -- the marked section -------------------------------------------------------------------------------


def split_section(text: str, title: str, page: WikiPage | None = None) -> tuple[str, str, str] | None:
    """(before, section, after) around the markers; None when the page has none. Refuses a broken pair."""
    nb, ne = text.count(BEGIN), text.count(END)
    if nb == 0 and ne == 0:
        return None
    by = f" (now revision {page.revision} by {page.user})" if page and page.revision else ""
    if nb == 1 and ne == 0:
        raise PublishRefused(f"the end marker {END} was deleted from {title}{by}: Goalkeeper cannot tell where its "
                             "section ends; put the marker back after the section (or delete the begin marker "
                             "too) and publish again; nothing was changed")
    if nb == 0:
        raise PublishRefused(f"the begin marker {BEGIN} was deleted from {title}{by}: put it back before "
                             "Goalkeeper's section (or delete the end marker too) and publish again; nothing was changed")
    i, j = text.find(BEGIN), text.find(END)
    if nb > 1 or ne > 1 or j < i:
        raise PublishRefused(f"{title} has {nb} begin and {ne} end markers{by}; Goalkeeper owns one section, "
                             f"{BEGIN} then {END}: leave one pair and publish again; nothing was changed")
    return text[:i], text[i + len(BEGIN):j], text[j + len(END):]


def section_of(content: str) -> str:
    """What Goalkeeper writes between its markers (the wiki stores text as NFC)."""
    return "\n" + unicodedata.normalize("NFC", content.strip("\n")) + "\n"


def placed(text: str, section: str, parts) -> str:
    """The page with Goalkeeper's section in place: appended at the end when the page has no markers."""
    if parts is None:
        sep = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
        return f"{text}{sep}{BEGIN}{section}{END}"
    before, _, after = parts
    return f"{before}{BEGIN}{section}{END}{after}"


# -- publishing -------------------------------------------------------------------------------------


def publish(wiki, store, pub: Publication, now: datetime, by: str, force: bool = False,
            dry_run: bool = False) -> Outcome:
    """Writes pub's section to its page. Raises PublishRefused or WikiError (one line each); then
    nothing was written."""
    page = wiki.page(pub.title)
    section = section_of(pub.text)
    parts = split_section(page.text, page.title, page)
    record = store.wiki_record(wiki.api, page.title)
    if parts is not None and parts[1] == section:
        if record is None or record["revision"] != page.revision or record["section"] != section:
            if not dry_run:
                with store.write() as conn:
                    store.wiki_written(conn, wiki.api, page.title, page.revision, section, now, by)
        return Outcome(page.title, page.url, "unchanged", page.revision)
    if parts is not None and not force:
        _refuse_if_edited(wiki, page, parts[1], record)
    text = placed(page.text, section, parts)
    action = "updated" if page.exists else "created"
    if dry_run:
        diff = "\n".join(difflib.unified_diff(page.text.splitlines(), text.splitlines(),
                                              f"{page.title} (revision {page.revision or 'none'})",
                                              f"{page.title} (as Goalkeeper would write it)", lineterm=""))
        return Outcome(page.title, page.url, "would " + action[:-1], page.revision, diff)
    with store.write() as conn:  # a save whose answer is lost is still known as Goalkeeper's
        store.wiki_pending(conn, wiki.api, page.title, section)
    revision = wiki.save(page, text, pub.summary)
    if revision is None:  # the wiki holds exactly this already
        revision, stored = page.revision, section
    else:
        stored = _stored_section(wiki, page.title, revision, section)
    with store.write() as conn:
        store.wiki_written(conn, wiki.api, page.title, revision, stored, now, by)
    return Outcome(page.title, page.url, action, revision)


def _stored_section(wiki, title: str, revision: int, sent: str) -> str:
    """The section as the wiki stored it (its pre-save transform may differ from what was sent)."""
    try:
        saved = wiki.page(title)
        parts = split_section(saved.text, title)
    except (WikiError, PublishRefused):
        return sent
    return parts[1] if parts is not None and saved.revision == revision else sent


def _refuse_if_edited(wiki, page: WikiPage, current: str, record: dict | None) -> None:
    known = {record["section"], record["pending"]} - {None} if record else set()
    if current in known:
        return
    if not known:
        if not current.strip():  # markers a person placed, empty: where Goalkeeper is to write
            return
        raise PublishRefused(f"{page.title} already has a Goalkeeper section that this Goalkeeper did not write "
                             f"(revision {page.revision} by {page.user}); nothing was changed. Publish with --force "
                             "to replace it")
    rev, user, at = _first_edit(wiki, page, record["revision"], known)
    since = f" since Goalkeeper wrote revision {record['revision']}" if record["revision"] else ""
    raise PublishRefused(f"Goalkeeper's section of {page.title} was edited on the wiki{since}: revision {rev} by "
                         f"{user} ({at}); nothing was changed. Carry that edit into Goalkeeper (or undo it on the "
                         "wiki), or publish with --force to replace it")


def _first_edit(wiki, page: WikiPage, since: int | None, known: set) -> tuple:
    """The oldest revision after `since` whose section is not one Goalkeeper wrote (else the current one)."""
    after = since
    for _ in range(HISTORY_BATCHES if since else 0):
        revisions = wiki.revisions_after(page.title, after, HISTORY_BATCH)
        for rev in revisions:
            try:
                parts = split_section(rev.text, page.title)
            except PublishRefused:
                parts = None
            if parts is None or parts[1] not in known:
                return rev.revision, rev.user, rev.timestamp
        if len(revisions) < HISTORY_BATCH:
            break
        after = revisions[-1].revision
    return page.revision, page.user, page.timestamp


def diff_lines(outcome: Outcome) -> list[str]:
    return outcome.diff.splitlines() if outcome.diff else []
