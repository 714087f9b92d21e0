"""Publishing to MediaWiki through its API, with mwclient and a bot password (`Name@app`).

The one implementation of bot.ports.Wiki. Every fault becomes a WikiError whose text is one line and
never carries the password; mwclient's own retries are cut short so an unreachable wiki answers in seconds.
"""
from __future__ import annotations

import logging
import threading
from typing import Mapping
from urllib.parse import urlsplit

from bot.config import ConfigError
from bot.ports import WikiEditConflict, WikiError, WikiPage, WikiRevision, WikiTitleRefused

log = logging.getLogger("goalkeeper.wiki")

USER_AGENT = "Goalkeeper/0.1 (publishes quarterly reviews and meeting minutes)"
PROTECTED = {"protectedtitle", "cantcreate", "noedit", "protectedpage", "cascadeprotected", "protectednamespace",
             "protectednamespace-interface", "customcssjsprotected", "permissiondenied", "writeapidenied"}
CONFLICTS = {"editconflict", "articleexists", "pagedeleted", "missingtitle"}


def from_env(env: Mapping[str, str], timeout: float = 15.0) -> "MediaWiki | None":
    """The wiki GOALKEEPER_WIKI_* names, or None when publishing is off (no API URL set)."""
    api = (env.get("GOALKEEPER_WIKI_API") or "").strip()
    user = (env.get("GOALKEEPER_WIKI_USER") or "").strip()
    password = env.get("GOALKEEPER_WIKI_PASSWORD") or ""
    if not (api or user or password):
        return None
    if not api:
        raise ConfigError("GOALKEEPER_WIKI_API: set it to the wiki's api.php URL (or unset the other GOALKEEPER_WIKI_*)")
    parts = urlsplit(api)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.path.endswith("/api.php") \
            or parts.query or parts.fragment:
        raise ConfigError(f"GOALKEEPER_WIKI_API: {api!r} is not the URL of a MediaWiki api.php "
                          "(like https://wiki.example.org/w/api.php)")
    if "@" not in user or user.startswith("@") or user.endswith("@"):
        raise ConfigError("GOALKEEPER_WIKI_USER: a bot password's user name, Name@app (Special:BotPasswords); "
                          "the account's own password is not used")
    if not password:
        raise ConfigError("GOALKEEPER_WIKI_PASSWORD: the bot password Special:BotPasswords gave for "
                          f"{user} is not set")
    return MediaWiki(api, user, password, timeout)


class MediaWiki:
    """bot.ports.Wiki on a real MediaWiki. Logs in lazily, once, and again when the session expired."""

    def __init__(self, api: str, user: str, password: str, timeout: float = 15.0):
        self.api = api
        self.user = user
        self._password = password
        self._timeout = timeout
        self._site = None
        self._lock = threading.Lock()  # Slack serves commands on a thread pool; a session is one at a time

    def __repr__(self) -> str:  # never the password
        return f"MediaWiki({self.api!r}, user={self.user!r})"

    # -- the port --------------------------------------------------------------------------------

    def page(self, title: str) -> WikiPage:
        with self._lock:
            return self._call(lambda site: self._page(site, title))

    def revisions_after(self, title: str, revision: int, limit: int) -> list[WikiRevision]:
        with self._lock:
            return self._call(lambda site: self._revisions_after(site, title, revision, limit))

    def save(self, base: WikiPage, text: str, summary: str) -> int | None:
        with self._lock:
            return self._call(lambda site: self._save(site, base, text, summary))

    # -- mwclient ----------------------------------------------------------------------------------

    def _login(self):
        import mwclient

        parts = urlsplit(self.api)
        site = mwclient.Site(parts.netloc, path=parts.path[: -len("api.php")], scheme=parts.scheme,
                             do_init=False, max_retries=1, retry_timeout=1, clients_useragent=USER_AGENT,
                             connection_options={"timeout": self._timeout})
        site.login(self.user, self._password)
        if "edit" not in site.rights:
            raise WikiError(f"the bot password {self.user} may not edit pages: grant it 'Edit existing pages' "
                            "(Special:BotPasswords)")
        return site

    def _call(self, fn):
        """Runs fn(site), logging in first; every fault becomes one WikiError line."""
        import mwclient.errors as mwe
        import requests

        for attempt in (1, 2):
            try:
                if self._site is None:
                    self._site = self._login()
                return fn(self._site)
            except WikiError:
                raise
            except mwe.LoginError as e:
                self._site = None
                reason = _one_line(getattr(e, "info", "") or getattr(e, "code", "") or "refused")
                raise WikiError(f"the wiki at {self.api} refused the login of {self.user} ({reason}); check "
                                "GOALKEEPER_WIKI_USER and GOALKEEPER_WIKI_PASSWORD (a bot password)") from None
            except mwe.AssertUserFailedError:
                self._site = None  # the session expired: log in again, once
                if attempt == 2:
                    raise WikiError(f"the wiki at {self.api} keeps ending the session of {self.user}") from None
            except mwe.APIError as e:
                if e.code in ("assertuserfailed", "badtoken", "notloggedin") and attempt == 1:
                    self._site = None
                    continue
                raise WikiError(f"the wiki refused the request ({e.code}: {_one_line(e.info)})") from None
            except mwe.InvalidResponse:
                self._site = None
                raise WikiError(f"{self.api} does not answer like a MediaWiki API (not JSON); check "
                                "GOALKEEPER_WIKI_API") from None
            except mwe.MediaWikiVersionError as e:
                raise WikiError(f"the wiki at {self.api} is too old ({_one_line(e)})") from None
            except requests.exceptions.HTTPError as e:
                self._site = None
                status = e.response.status_code if e.response is not None else "?"
                raise WikiError(f"{self.api} answered HTTP {status}: not a MediaWiki API there; check "
                                "GOALKEEPER_WIKI_API") from None
            except (requests.exceptions.RequestException, mwe.MaximumRetriesExceeded, OSError) as e:
                self._site = None
                raise WikiError(f"the wiki at {self.api} cannot be reached ({_reach_reason(e)})") from None
            except (KeyError, TypeError, ValueError) as e:  # JSON that is not a MediaWiki's answer
                self._site = None
                raise WikiError(f"{self.api} does not answer like a MediaWiki API ({type(e).__name__})") from None
        raise WikiError(f"the wiki at {self.api} could not be used")

    def _page(self, site, title: str) -> WikiPage:
        r = site.get("query", titles=title, prop="info|revisions", inprop="protection|url",
                     rvprop="ids|timestamp|user|content", rvslots="main", curtimestamp=1)
        q = r["query"]
        if q.get("interwiki"):
            raise WikiTitleRefused(f"the wiki refuses the page title {title!r} (it names another wiki)")
        info = next(iter(q["pages"].values())) if isinstance(q["pages"], dict) else q["pages"][0]
        if "invalid" in info:
            raise WikiTitleRefused(f"the wiki refuses the page title {title!r} ({_one_line(info.get('invalidreason'))})")
        if info.get("ns", 0) < 0:
            raise WikiTitleRefused(f"the wiki refuses the page title {title!r} (a special page cannot be edited)")
        name = info.get("title", title)
        url = info.get("fullurl") or ""
        if "missing" in info:
            return WikiPage(name, False, "", None, None, None, url, r.get("curtimestamp"))
        rev = info["revisions"][0]
        slot = rev.get("slots", {}).get("main", rev)
        text = slot.get("*", slot.get("content"))
        if text is None:
            raise WikiError(f"the wiki hides the text of {name} (revision {rev.get('revid')})")
        return WikiPage(name, True, text, rev["revid"], rev["timestamp"], rev.get("user"), url, r.get("curtimestamp"))

    def _revisions_after(self, site, title: str, revision: int, limit: int) -> list[WikiRevision]:
        r = site.get("query", titles=title, prop="revisions", rvprop="ids|timestamp|user|content", rvslots="main",
                     rvstartid=revision, rvdir="newer", rvlimit=limit + 1)
        info = next(iter(r["query"]["pages"].values()))
        out = []
        for rev in info.get("revisions", []):
            if rev["revid"] == revision:
                continue
            slot = rev.get("slots", {}).get("main", rev)
            out.append(WikiRevision(rev["revid"], rev.get("user", "?"), rev["timestamp"], slot.get("*") or ""))
        return out[:limit]

    def _save(self, site, base: WikiPage, text: str, summary: str) -> int | None:
        import mwclient.errors as mwe

        params = {"title": base.title, "text": text, "summary": summary, "bot": 1, "assert": "user"}
        if base.exists:  # the base revision's timestamp: a newer edit by someone else is a conflict
            params.update(basetimestamp=base.timestamp, baserevid=base.revision, nocreate=1)
        else:
            params["createonly"] = 1  # created meanwhile by someone: a conflict, not an overwrite
        if base.read_at:
            params["starttimestamp"] = base.read_at  # deleted meanwhile: a conflict
        try:
            r = site.post("edit", token=site.get_token("csrf"), **params)
        except mwe.APIError as e:
            code = e.code or ""
            if code in CONFLICTS:
                raise WikiEditConflict(f"{base.title} was changed on the wiki while Goalkeeper was writing "
                                       f"({code}); nothing was written, publish again") from None
            if code in PROTECTED:
                raise WikiError(f"{base.title} is protected on the wiki: {self.user} may not edit it "
                                f"({_one_line(e.info)})") from None
            if code == "contenttoobig":
                raise WikiError(f"{base.title} would be {len(text.encode()):,} bytes: {_one_line(e.info)}") from None
            if code in ("invalidtitle", "badtitle"):
                raise WikiTitleRefused(f"the wiki refuses the page title {base.title!r} ({_one_line(e.info)})") from None
            raise
        edit = r.get("edit", {})
        if edit.get("result") != "Success":  # a captcha, an abuse filter ...
            raise WikiError(f"the wiki did not save {base.title} ({_one_line(edit.get('info') or edit)})")
        if "nochange" in edit:
            return None
        return int(edit["newrevid"])


def _one_line(s) -> str:
    return " ".join(str(s or "").split())[:300]


def _reach_reason(e: Exception) -> str:
    text = _one_line(e)
    for hint in ("Connection refused", "Name or service not known", "timed out", "No route to host",
                 "Temporary failure in name resolution", "Connection reset", "Connection aborted",
                 "RemoteDisconnected"):
        if hint.lower() in text.lower():
            return hint.lower()
    return type(e).__name__
