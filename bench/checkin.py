"""Issue 15: a status chosen from a Slack menu (ack, 10,000 goals stored), a Home tab publish (50 goals in 10
teams, our time), and a check-in pass for 1,000 owners (to queue).

The menu ack is timed against the real `goalkeeper slack` process over HTTP, the click built from the blocks
Goalkeeper sends (as Slack would build it), signed; each figure is printed beside its floor: the same HTTP
round trip refused at the signature check (the menu), the one store read the Home tab needs (Home), the
1,000 outbox inserts alone in one transaction (the check-in pass).
"""
from __future__ import annotations

import http.client
import json
import subprocess
import time
import urllib.parse
from datetime import timedelta

from .common import (NOW, Figure, Workdir, base_env, console_bot, free_port, goalkeeper_argv, iso, judged, median,
                     ms, not_available, open_store, pct, raw, seed_goals, seed_team, stop)

AREA = "checkin"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    from .common import module_missing

    missing = module_missing("bot.checkin", "adapters.slack.interactions", "tests.fixtures_slack")
    if missing:
        return [not_available(AREA, "status menu ack p99 over HTTP (10,000 goals)", "<= 50 ms", missing)]
    figs = [menu_ack(quick, work, log), home_publish(quick, work, log), checkin_pass(quick, work, log)]
    return figs


# -- a status chosen from a menu -------------------------------------------------------------------


def menu_ack(quick: bool, work: Workdir, log) -> Figure:
    from adapters.slack.blocks import to_messages
    from tests.fixtures_slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, SlackWebStandIn, block_action, signed_headers

    from .slack import _wait_port, seed_slack_store

    n = 100 if quick else 1000
    db = work.file("menu.db")
    seed_slack_store(db, TEAM_ID)
    api = SlackWebStandIn()
    port = free_port()
    env = base_env(db, PORT=str(port), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                   GOALKEEPER_SLACK_API_URL=api.base_url, GOALKEEPER_TICK_SECONDS="3600")
    proc = subprocess.Popen(goalkeeper_argv() + ["slack"], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(work.file("menu.err"), "wb"))
    statuses = ("on-track", "at-risk", "off-track")

    def post(form: str, sign: bool = True) -> tuple[int, float]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        headers.update(signed_headers(form, SIGNING_SECRET) if sign else {"X-Slack-Signature": "v0=0",
                                                                          "X-Slack-Request-Timestamp": "1"})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        t = time.perf_counter()
        conn.request("POST", "/slack/events", body=form.encode(), headers=headers)
        resp = conn.getresponse()
        resp.read()
        took = time.perf_counter() - t
        conn.close()
        return resp.status, took

    def click(i: int) -> float:
        gid = 1 + (i * 7919) % 10_000  # spread over the 10,000 goals
        blocks = to_messages(f"#{gid} Goal {gid} · releng · :white_circle: no status yet", menus=True,
                             team="releng")[0]["blocks"]
        payload = block_action(blocks, gid, statuses[i % 3], response_url=api.response_url("bench"),
                               user=f"U{gid % 20:08d}", ts=f"17000000{i:02d}.000100")
        status, took = post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
        if status != 200:
            raise RuntimeError(f"a menu click answered HTTP {status}")
        return took

    try:
        _wait_port(port, proc)
        for i in range(20):
            click(i)  # warm-up: auth.test, channel registration, first imports
        xs = [click(20 + i) for i in range(n)]
        floor = [post("payload=%7B%7D", sign=False)[1] for _ in range(n)]
    finally:
        stop(proc)
        api.close()
    store = open_store(db)
    changed = store.one("SELECT COUNT(*) AS n FROM goal_events WHERE action = 'status' AND by LIKE 'slack:%'"
                        " AND at > ?", (iso(NOW - timedelta(days=3650)),))["n"]
    store.close()
    f = judged(AREA, "status chosen from a Slack menu: ack p99 over HTTP (10,000 goals stored)", ms(pct(xs, 99)), "ms",
               50.0, floor=ms(pct(floor, 99)), floor_unit="ms", floor_name="p99 of a request refused at the signature",
               ratio=pct(xs, 99) / max(pct(floor, 99), 1e-9), ratio_note="x the floor",
               note=f"{n} signed clicks, one at a time; p50 {ms(median(xs)):.2f} ms; status events written: {changed}")
    log(f"checkin: menu ack p50 {ms(median(xs)):.2f} ms p99 {ms(pct(xs, 99)):.2f} ms (floor {ms(pct(floor, 99)):.2f})")
    return f


# -- the Home tab ------------------------------------------------------------------------------------


def home_publish(quick: bool, work: Workdir, log) -> Figure:
    from adapters.slack.interactions import Interactions
    from bot.home import home_text
    from bot.render import renderer_for

    db = work.file("home.db")
    open_store(db).close()
    with raw(db) as conn:
        for t in range(10):
            seed_team(conn, f"team{t}", channel_key=f"slack:T0TEST:C{t}", platform="slack")
            seed_goals(conn, 5, f"team{t}", id_prefix="slack:T0TEST:", people=1, person="U1GREG", recent=2)
        seed_goals(conn, 2000, "team0", id_prefix="slack:T0TEST:", people=20, person="U{:08d}")  # others' goals
    store, bot = console_bot(db)

    class Client:  # the Web API call itself is excluded: it only records how long it took
        spent = 0.0

        def views_publish(self, user_id, view):
            t = time.perf_counter()
            self.last = json.dumps(view)
            Client.spent += time.perf_counter() - t

    class Adapter:
        def __init__(self):
            self.bot, self.clock = bot, (lambda: NOW)

    ix = Interactions(Adapter(), Client())
    owner = "slack:T0TEST:U1GREG"
    k = 50 if quick else 300
    ix.publish_home(owner)  # warm
    assert ix.client.last.count('"static_select"') == 50, "the Home tab does not show the 50 goals"
    xs = []
    for _ in range(k):
        Client.spent = 0.0
        t = time.perf_counter()
        ix.publish_home(owner)
        xs.append(time.perf_counter() - t - Client.spent)
    floor = []
    for _ in range(k):
        t = time.perf_counter()
        store.goals_owned(owner, 81)
        floor.append(time.perf_counter() - t)
    text_only = median([_time(lambda: home_text(store, bot.config, owner, NOW, renderer_for("slack")))
                        for _ in range(k)])
    store.close()
    f = judged(AREA, "Home tab publish, 50 goals in 10 teams (our time, the Web API call excluded)", ms(median(xs)),
               "ms", 50.0, floor=ms(median(floor)), floor_unit="ms", floor_name="the one store read (goals_owned)",
               ratio=median(xs) / max(median(floor), 1e-9), ratio_note="x the floor",
               note=f"median of {k}; p99 {ms(pct(xs, 99)):.2f} ms; of which the text {ms(text_only):.2f} ms")
    log(f"checkin: home publish {ms(median(xs)):.2f} ms (floor {ms(median(floor)):.3f} ms)")
    return f


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# -- the check-in pass -------------------------------------------------------------------------------


def checkin_pass(quick: bool, work: Workdir, log) -> Figure:
    """1,000 owners (10 teams of 100, two quiet goals each, and 2 fresh ones per team): the pass at the slot."""
    from bot.slots import weekly_slots
    from bot.times import zone

    slot, _ = weekly_slots(NOW + timedelta(days=7), 3, 10, 0, zone("UTC"))
    runs = 2 if quick else 5
    xs, floors = [], []
    for r in range(runs):
        db = work.file(f"checkin-{r}.db")
        open_store(db).close()
        with raw(db) as conn:
            for t in range(10):
                seed_team(conn, f"team{t}", channel_key=f"console:#team{t}")
                conn.execute("UPDATE teams SET digest_enabled = 0 WHERE name = ?", (f"team{t}",))
                seed_goals(conn, 200, f"team{t}", people=100, person=f"t{t}owner{{}}", statuses=False, recent=0)
        store, bot = console_bot(db)
        store.one("SELECT 1")
        t0 = time.perf_counter()
        queued = bot.tick(slot)
        xs.append(time.perf_counter() - t0)
        if queued != 1000:
            raise RuntimeError(f"the check-in pass queued {queued} messages, not 1,000")
        rows = store.all("SELECT key, channel_key, platform, kind, slot, text, data FROM outbox")
        store.close()
        fdb = work.file(f"checkin-floor-{r}.db")
        fstore = open_store(fdb)
        t0 = time.perf_counter()
        with fstore.write() as conn:
            for row in rows:
                fstore.enqueue(conn, row["key"], row["channel_key"], row["platform"], row["kind"], row["slot"],
                               row["text"], slot, data=json.loads(row["data"]))
        floors.append(time.perf_counter() - t0)
        fstore.close()
    f = judged(AREA, "check-in pass for 1,000 owners (to queue)", ms(median(xs)), "ms", 200.0,
               floor=ms(median(floors)), floor_unit="ms", floor_name="the 1,000 outbox inserts alone, one transaction",
               ratio=median(xs) / max(median(floors), 1e-9), ratio_note="x the floor",
               note=f"median of {runs} passes on a store just opened (2,000 quiet goals in 10 teams)")
    log(f"checkin: pass {ms(median(xs)):.2f} ms (floor {ms(median(floors)):.2f} ms)")
    return f
