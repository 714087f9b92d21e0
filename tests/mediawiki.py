"""A real MediaWiki (Debian's 1.39 package, SQLite, `php -S`) on loopback: started once per test session by
tests/fixtures_wiki.py, and by bench/wiki.py.

The package's files are unpacked once into GOALKEEPER_MEDIAWIKI_DIR (default /var/cache/goalkeeper/mediawiki;
.ci/run does it with `apt-get download` + `dpkg -x`, a developer's first run does it here) and used read-only:
each session gets its own LocalSettings.php (MW_CONFIG_FILE), SQLite database and port, so sessions never meet.
Anything missing raises MediaWikiMissing (the fixture turns it into a failure, never a skip).
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

MEDIAWIKI_DIR = os.environ.get("GOALKEEPER_MEDIAWIKI_DIR") or "/var/cache/goalkeeper/mediawiki"
ADMIN_PASSWORD = "admin-password-not-a-secret-1"
PERSON, PERSON_PASSWORD = "Alice", "alice-password-not-a-secret-1"


class MediaWikiMissing(RuntimeError):
    """PHP or the unpacked package is missing, or the wiki would not start; str() says what to do."""


def _code_dir() -> str:
    return os.path.join(MEDIAWIKI_DIR, "usr", "share", "mediawiki")


def _unpack() -> None:
    """Outside CI, a developer's first run unpacks the packages itself (apt-get download installs nothing)."""
    if os.environ.get("CI") == "true":
        raise MediaWikiMissing(f"MediaWiki is not unpacked in {MEDIAWIKI_DIR}: .ci/run must `apt-get download mediawiki "
                    "mediawiki-classes` and `dpkg -x` them there")
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        raise MediaWikiMissing(f"MediaWiki is not unpacked in {MEDIAWIKI_DIR} and apt-get/dpkg are missing to fetch it")
    with tempfile.TemporaryDirectory() as debs:
        r = subprocess.run(["apt-get", "download", "mediawiki", "mediawiki-classes"], cwd=debs,
                           capture_output=True, text=True)
        files = glob.glob(os.path.join(debs, "*.deb"))
        if r.returncode != 0 or len(files) != 2:
            raise MediaWikiMissing(f"apt-get download mediawiki mediawiki-classes failed: {r.stderr.strip()[-300:]}")
        staging = MEDIAWIKI_DIR + ".part"
        shutil.rmtree(staging, ignore_errors=True)
        for f in files:
            subprocess.run(["dpkg", "-x", f, staging], check=True)
        code = os.path.join(staging, "usr", "share", "mediawiki")
        for link in ("LocalSettings.php", "config", "extensions", "images"):  # links into /etc and /var/lib
            p = os.path.join(code, link)
            if os.path.islink(p):
                os.unlink(p)
            if link != "LocalSettings.php":
                os.makedirs(p, exist_ok=True)
        shutil.rmtree(MEDIAWIKI_DIR, ignore_errors=True)
        os.rename(staging, MEDIAWIKI_DIR)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(url: str, params: dict, data: dict | None = None, opener=None) -> dict:
    q = urllib.parse.urlencode({**params, "format": "json", "formatversion": "2"})
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with (opener or urllib.request.build_opener()).open(f"{url}?{q}", body, timeout=30) as r:
        return json.loads(r.read().decode())


class Person:
    """A person editing the wiki through its API (logged in with a bot password of their own account)."""

    def __init__(self, api: str, user: str, password: str):
        import http.cookiejar

        self.api = api
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = _api(api, {"action": "query", "meta": "tokens", "type": "login"}, opener=self.opener)
        r = _api(api, {"action": "login"}, {"lgname": user, "lgpassword": password,
                                             "lgtoken": token["query"]["tokens"]["logintoken"]}, self.opener)
        assert r["login"]["result"] == "Success", r

    def edit(self, title: str, text: str) -> int:
        token = _api(self.api, {"action": "query", "meta": "tokens"}, opener=self.opener)["query"]["tokens"]["csrftoken"]
        r = _api(self.api, {"action": "edit"}, {"title": title, "text": text, "token": token,
                                                 "summary": "a person's edit"}, self.opener)
        assert "edit" in r and r["edit"]["result"] == "Success", r
        return r["edit"].get("newrevid") or r["edit"].get("oldrevid")


@dataclass
class MediaWiki:
    base: str           # http://127.0.0.1:PORT
    api: str            # .../api.php
    bot_user: str       # Admin@goalkeeper (a bot password)
    bot_password: str
    person_user: str    # Alice@person, another account
    person_password: str
    admin_same_user: str  # Admin@person: the bot's own account, as a person would edit with it
    admin_same_password: str
    workdir: str
    env_extra: dict

    def env(self, **more) -> dict:
        return {"GOALKEEPER_WIKI_API": self.api, "GOALKEEPER_WIKI_USER": self.bot_user,
                "GOALKEEPER_WIKI_PASSWORD": self.bot_password, **more}

    def text(self, title: str) -> str | None:
        r = _api(self.api, {"action": "query", "prop": "revisions", "rvprop": "content", "rvslots": "main",
                            "titles": title})
        page = r["query"]["pages"][0]
        return None if page.get("missing") else page["revisions"][0]["slots"]["main"]["content"]

    def revisions(self, title: str) -> list[dict]:
        """Every revision of the page, oldest first: revid, user, comment."""
        r = _api(self.api, {"action": "query", "prop": "revisions", "rvprop": "ids|user|comment",
                            "rvlimit": "max", "rvdir": "newer", "titles": title})
        return r["query"]["pages"][0].get("revisions", [])

    def html(self, title: str) -> str:
        """The page as the wiki renders it (action=parse)."""
        return _api(self.api, {"action": "parse", "page": title, "prop": "text"})["parse"]["text"]

    def person(self) -> Person:
        return Person(self.api, self.person_user, self.person_password)

    def same_account(self) -> Person:
        return Person(self.api, self.admin_same_user, self.admin_same_password)

    def maintenance(self, script: str, *args: str) -> str:
        r = subprocess.run(["php", f"maintenance/{script}", *args], cwd=_code_dir(), capture_output=True,
                           text=True, env={**os.environ, **self.env_extra}, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    def protect(self, title: str) -> None:
        self.maintenance("protect.php", "--user", "Admin", title)


def _bot_password(env: dict, user: str, appid: str) -> str:
    r = subprocess.run(["php", "maintenance/createBotPassword.php", "--appid", appid,
                        "--grants", "basic,editpage,createeditmovepage", user],
                       cwd=_code_dir(), capture_output=True, text=True, env=env, timeout=120)
    m = re.search(r"password:'([^']+)'", r.stdout)
    if r.returncode != 0 or not m:
        raise MediaWikiMissing(f"createBotPassword.php failed: {r.stdout[-300:]} {r.stderr[-300:]}")
    return m.group(1)


def start():
    """(MediaWiki, stop): a fresh wiki on a free port; call stop() to end it and remove its files."""
    if not shutil.which("php"):
        raise MediaWikiMissing("php is not installed: CI must apt-get install php-cli php-sqlite3 php-intl php-mbstring php-xml")
    if not os.path.isfile(os.path.join(_code_dir(), "api.php")):
        _unpack()
    work = tempfile.mkdtemp(prefix="gk-mediawiki-")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    conf = os.path.join(work, "LocalSettings.php")
    env = {**os.environ, "MW_CONFIG_FILE": conf, "PHP_CLI_SERVER_WORKERS": "4"}
    db = os.path.join(work, "db")
    os.makedirs(db)
    r = subprocess.run(["php", "maintenance/install.php", "--dbtype=sqlite", f"--dbpath={db}", "--dbname=wiki",
                        f"--server={base}", "--scriptpath=", "--lang=en", f"--pass={ADMIN_PASSWORD}",
                        f"--confpath={work}", "Test Wiki", "Admin"],
                       cwd=_code_dir(), capture_output=True, text=True, env=env, timeout=300)
    if r.returncode != 0 or not os.path.isfile(conf):
        raise MediaWikiMissing(f"MediaWiki install.php failed: {r.stdout[-500:]} {r.stderr[-500:]}")
    images = os.path.join(work, "images")
    os.makedirs(images)
    with open(conf, "a", encoding="utf-8") as f:
        f.write(f'\n$wgUploadDirectory = "{images}";\n$wgCacheDirectory = "{work}/cache";\n'
                '$wgRateLimits = [];\n$wgGroupPermissions["*"]["edit"] = false;\n')
    subprocess.run(["php", "maintenance/createAndPromote.php", PERSON, PERSON_PASSWORD], cwd=_code_dir(),
                   capture_output=True, env=env, timeout=120, check=True)
    bot = _bot_password(env, "Admin", "goalkeeper")
    person = _bot_password(env, PERSON, "person")
    same = _bot_password(env, "Admin", "person")
    log = open(os.path.join(work, "php.log"), "wb")
    proc = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", _code_dir()], cwd=_code_dir(), env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    api = f"{base}/api.php"
    deadline = time.monotonic() + 60
    while True:
        try:
            _api(api, {"action": "query", "meta": "siteinfo"})
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise MediaWikiMissing(f"php -S did not serve MediaWiki on {base}; see {work}/php.log")
            time.sleep(0.2)

    def stop():
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)

    return MediaWiki(base, api, "Admin@goalkeeper", bot, f"{PERSON}@person", person, "Admin@person", same,
                     work, {"MW_CONFIG_FILE": conf}), stop


