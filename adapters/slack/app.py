"""Bolt wiring: slash commands, mentions and direct messages in, the core's replies out as Block Kit.

Every request is acknowledged within Slack's 3 seconds, and no ack waits on the store longer than
ACK_WAIT per step: a quick command is applied and answered in the ack (its trigger_id recorded in
the same commit, so a second delivery changes nothing); a slow one (`review`, `digest`) and every
event are recorded (id and body) before the ack and finished after it, by this process or, if it
dies, by the next one at its start (`finish_recorded`).
"""
from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Callable

from slack_bolt import App
from slack_bolt.request import BoltRequest

from adapters.bootstrap import utc_now
from bot.model import Actor, Channel, Message, Reply
from bot.ports import StoreError

from .blocks import to_messages
from .interactions import Interactions
from .client import make_client
from .config import SlackConfig
from .log import log, log_problem
from .outbox import ChannelPacer, post_messages
from .text import command_text, from_slack, strip_mention

PROBLEM = "error: the bot hit a problem, try again"
BUSY = "error: the database is busy (another process holds it); nothing was changed, try again"
RESPONSE_URL_POSTS = 5  # Slack takes at most 5 posts per response_url
ACK_GRACE = 0.3  # seconds a continuation waits so the ack (first part) reaches Slack before it
ACK_WAIT = 0.8  # seconds one store step inside an ack may wait on a lock (Slack allows 3 for all)
STALE = timedelta(minutes=10)  # a delivery taken by a live process but unapplied this long is taken over


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_gone(worker: str) -> bool:
    """A worker of this host whose process is no longer running (the store is one host's file)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class SlackAdapter:
    """Turns Bolt requests into core Messages and core Replies into acks and posts."""

    def __init__(self, config: SlackConfig, bot, clock: Callable[[], datetime] | None = None,
                 verify_token: bool = False):
        self.config = config
        self.bot = bot
        self.clock = clock or utc_now
        self.worker = worker_id()
        self.pacer = ChannelPacer(config.pace_seconds)
        log.addFilter(_drop_token_notice)
        self.app = App(
            logger=log,
            client=make_client(config),
            signing_secret=config.signing_secret,  # never read from os.environ behind our back
            # with verify_token Bolt calls auth.test once now and reuses it for every request
            token_verification_enabled=verify_token,
            process_before_response=True,  # ack in about 1 ms; slow work goes to lazy listeners
            listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="goalkeeper-slack"),
        )
        self._registered: set[str] = set()
        self._names: dict[str, str] = {}  # Slack id -> name (users and channels), learned as we go
        self._pending: dict[str, tuple] = {}  # delivery key -> what the lazy listener finishes
        self._replaying: set[str] = set()  # recorded keys this process finishes after a crash
        self._lock = threading.Lock()
        self.interactions = Interactions(self, make_client(config, idempotent=True))
        self._wire()

    # -- wiring -------------------------------------------------------------
    def _wire(self) -> None:
        app = self.app
        app.command(re.compile(r"^/.+"))(ack=self.on_command, lazy=[self.finish_command])
        app.event("app_mention")(ack=self.ack_event, lazy=[self.on_mention])
        app.event("message")(ack=self.ack_event, lazy=[self.on_message])
        self.interactions.wire(app)
        app.error(self.on_error)

    def on_error(self, error, body, logger=None):
        log_problem("bolt", error)

    # -- recording before the ack --------------------------------------------
    def _record(self, key: str, kind: str, body: dict) -> bool:
        """Record a delivery (bounded wait); False for a redelivery. StoreError when the store is held."""
        if key in self._replaying:
            return True
        with self.bot.bounded_wait(ACK_WAIT):
            return self.bot.record_delivery(key, kind, json.dumps(body), self.worker, self.clock())

    def finish_recorded(self) -> int:
        """At start: every delivery acknowledged by a process that died before applying it, run again
        through the app (no signature: it was verified when it arrived). Returns how many."""
        rows = self.bot.unapplied_deliveries(self.worker, worker_gone, self.clock() - STALE)
        for row in rows:
            self._replaying.add(row["key"])
            try:
                self.app.dispatch(BoltRequest(body=json.loads(row["body"]), mode="socket_mode"))
            except Exception as e:
                log_problem(f"finishing {row['key']}", e)
        if rows:
            log.warning("goalkeeper slack: finishing %d deliveries acknowledged before a restart", len(rows))
        return len(rows)

    def _apply(self, key: str | None, msg: Message | None, run=None) -> list[Reply]:
        """The core's answer to a recorded delivery, marked applied in the command's own commit.
        `run`: what to call instead of handling `msg` (a click: bot/choices.py)."""
        run = run or (lambda: self.bot.handle(msg))
        if not key:
            return run()
        at = msg.at if msg else self.clock()
        with self.bot.applying(key, self.worker, at) as slot:
            replies = run()
        if not slot.applied:
            self.bot.mark_applied(key, self.worker, at)  # a command that wrote nothing
        self._replaying.discard(key)
        return replies

    # -- identity -----------------------------------------------------------
    def _message(self, text: str, team: str, user: str, user_name: str, channel: str, channel_name: str,
                 private: bool, at: datetime) -> Message:
        actor = Actor(id=f"slack:{team}:{user}", name=user_name or user)
        name = f"@{user_name or user}" if private else f"#{channel_name or channel}"
        ch = Channel(key=f"slack:{team}:{channel}", name=name, platform="slack", private=private)
        self._register(ch, at)
        return Message(text=text, actor=actor, channel=ch, at=at)

    def _register(self, channel: Channel, at: datetime) -> None:
        with self._lock:
            if channel.key in self._registered:
                return
            self._registered.add(channel.key)
        try:
            self.bot.register_channel(channel, at)
        except Exception as e:  # the command's own write registers it too
            with self._lock:
                self._registered.discard(channel.key)
            log_problem(f"register_channel {channel.key}", e)

    def _lookup(self, client, kind: str, ident: str) -> str:
        """A user's or channel's name from users.info / conversations.info, cached; the id if Slack will not say."""
        with self._lock:
            if ident in self._names:
                return self._names[ident]
        name = ident
        try:
            if kind == "user":
                user = client.users_info(user=ident)["user"]
                name = user.get("name") or (user.get("profile") or {}).get("display_name") or ident
            else:
                name = client.conversations_info(channel=ident)["channel"].get("name") or ident
        except Exception as e:  # a missing scope or a network fault costs a name, not the command
            log_problem(f"{kind} name for {ident}", e)
        with self._lock:
            self._names[ident] = name
        return name

    # -- slash commands -----------------------------------------------------
    def on_command(self, ack, body: dict) -> None:
        """Runs before the HTTP response: answer quick commands in the ack, hand slow ones over."""
        key = f"trigger:{body['trigger_id']}" if body.get("trigger_id") else None
        try:
            if key and key not in self._replaying and self.bot.delivery_recorded(key):
                ack()  # the same invocation again: answered the first time
                return
            text = command_text(body.get("command", ""), from_slack(body.get("text", "")), self.bot.top_words)
            if text == "goal add" and body.get("trigger_id"):  # no title: the form, prefilled with the person
                self.interactions.open_add_form(body)
                ack()
                return
            channel = body.get("channel_id", "")
            private = channel.startswith("D") or body.get("channel_name") == "directmessage"
            if body.get("channel_name") and not private:
                with self._lock:
                    self._names.setdefault(channel, body["channel_name"])
            with self.bot.bounded_wait(ACK_WAIT):
                msg = self._message(text, body.get("team_id", ""), body.get("user_id", ""),
                                    body.get("user_name", ""), channel, body.get("channel_name", ""), private,
                                    self.clock())
                if self.bot.is_slow(text):
                    if key and not self._record(key, "command", body):
                        ack()
                        return
                    self._pending[key or _work_key(body)] = ("slow", msg)
                    ack(text=f"working on `{text.split()[0]}`...", response_type="ephemeral")
                    return
                replies = self._answer_in_ack(key, body, msg)
            posts = _as_posts(replies)
            if not posts:
                ack()
                return
            response_type, first = posts[0]
            ack(text=first["text"], blocks=first["blocks"], response_type=response_type)
            if len(posts) > 1:
                self._pending[key or _work_key(body)] = ("rest", posts[1:])
        except StoreError as e:
            log_problem(f"command {body.get('command')}", e)
            ack(text=BUSY, response_type="ephemeral")
        except Exception as e:
            log_problem(f"command {body.get('command')}", e)
            ack(text=PROBLEM, response_type="ephemeral")

    def _answer_in_ack(self, key: str | None, body: dict, msg: Message | None, run=None) -> list[Reply]:
        """The command applied with its trigger_id recorded in the same commit; a read-only one records it after.
        `run`: what to call instead of handling `msg` (a click or a form)."""
        run = run or (lambda: self.bot.handle(msg))
        if not key:
            return run()
        if key in self._replaying:
            return self._apply(key, msg, run)
        at = msg.at if msg else self.clock()
        with self.bot.applying(key, self.worker, at, record=("command", json.dumps(body))) as slot:
            replies = run()
        if not slot.applied and not any(r.error for r in replies):
            try:
                self.bot.record_delivery(key, "command", json.dumps(body), self.worker, at, applied=True)
            except StoreError as e:  # it changed nothing: answering it twice is the worst case
                log_problem(f"recording {key}", e)
        return replies

    def finish_command(self, body: dict, respond, client) -> None:
        """Lazy: the slow command's work, or what did not fit in the ack."""
        key = f"trigger:{body['trigger_id']}" if body.get("trigger_id") else _work_key(body)
        work = self._pending.pop(key, None)
        if work is None:
            return
        kind, payload = work
        try:
            files = []
            if kind == "slow":
                replies = self._apply(key if body.get("trigger_id") else None, payload)
                posts = _as_posts(replies)
                files = [f for r in replies for f in r.files]
            else:
                posts = payload
                time.sleep(ACK_GRACE)
            self._respond_all(posts, body, respond, client)
            for filename, title, content in files:
                client.files_upload_v2(channel=body.get("channel_id", ""), content=content, filename=filename,
                                       title=title)
        except Exception as e:
            log_problem(f"command {body.get('command')} (after ack)", e)
            try:
                respond(text=PROBLEM, response_type="ephemeral")
            except Exception as e2:
                log_problem("reporting a problem", e2)

    def _respond_all(self, posts: list, body: dict, respond, client) -> None:
        """Through response_url while it takes posts (5 each), then chat.postMessage / chat.postEphemeral."""
        channel, user = body.get("channel_id", ""), body.get("user_id", "")
        used = 0
        for response_type, m in posts:
            if used < RESPONSE_URL_POSTS:
                used += 1
                resp = respond(text=m["text"], blocks=m["blocks"], response_type=response_type)
                if resp.status_code == 200:
                    continue
            ephemeral_to = user if response_type == "ephemeral" else None
            post_messages(client, self.pacer, channel, [m], user=ephemeral_to)

    # -- events -------------------------------------------------------------
    def ack_event(self, ack, body: dict, event: dict, context) -> None:
        """Record the event before the ack; a store that cannot record it in time gets no ack (Slack retries)."""
        event_id = body.get("event_id")
        if not _is_command_event(event, context.bot_user_id):
            ack()
            return
        if event_id:
            key = f"event:{event_id}"
            if not self._record(key, "event", body):  # StoreError propagates: no ack, Slack sends it again
                ack()
                return
            self._pending[key] = ("event", None)
        ack()

    def on_mention(self, body: dict, event: dict, client, context) -> None:
        self._on_event(body, event, client, from_slack(strip_mention(event.get("text", ""), context.bot_user_id)))

    def on_message(self, body: dict, event: dict, client, context) -> None:
        if _is_channel_line(event, context.bot_user_id):
            self._on_channel_line(body, event, client)
            return
        if not _is_command_event(event, context.bot_user_id):
            return
        self._on_event(body, event, client, from_slack(strip_mention(event.get("text", ""), context.bot_user_id)))

    def _on_channel_line(self, body: dict, event: dict, client) -> None:
        """A line said in a channel (message.channels / message.groups): read only while a meeting runs
        there (or when it starts one); its ts makes it one line of the log, whichever process hears it."""
        channel, user = event.get("channel", ""), event.get("user", "")
        team = body.get("team_id") or event.get("team", "")
        text = from_slack(event.get("text", ""))
        try:
            if not self.bot.listening(f"slack:{team}:{channel}", text):
                return
            now = self.clock()
            msg = self._message(text, team, user, self._lookup(client, "user", user), channel,
                                self._lookup(client, "channel", channel), False, now)
            msg = Message(text=msg.text, actor=msg.actor, channel=msg.channel, at=msg.at, ref=event.get("ts"))
            for reply in self.bot.hear(msg):
                post_messages(client, self.pacer, channel, to_messages(reply.text), thread_ts=event.get("thread_ts"),
                              user=user if reply.error else None)
        except Exception as e:
            log_problem(f"channel line {body.get('event_id')}", e)

    def _on_event(self, body: dict, event: dict, client, text: str) -> None:
        channel, user = event.get("channel", ""), event.get("user", "")
        private = event.get("channel_type") == "im" or channel.startswith("D")
        thread_ts = event.get("thread_ts")
        key = f"event:{body['event_id']}" if body.get("event_id") else None
        if key and self._pending.pop(key, None) is None:
            return  # a redelivery: the first delivery is (being) processed
        try:
            now = self.clock()
            team = body.get("team_id") or event.get("team", "")
            user_name = self._lookup(client, "user", user)
            channel_name = "" if private else self._lookup(client, "channel", channel)
            msg = self._message(text or "help", team, user, user_name, channel, channel_name, private, now)
            if not private:  # a mention said in a meeting is one line of its log, by its ts
                msg = Message(text=msg.text, actor=msg.actor, channel=msg.channel, at=msg.at, ref=event.get("ts"))
            for reply in self._apply(key, msg):
                # asked in the open, answered in the open; an error goes to the asker alone (a DM is already private)
                to_user = user if reply.error and not private else None
                post_messages(client, self.pacer, channel, to_messages(reply.text, menus=not reply.error),
                              thread_ts=thread_ts, user=to_user)
        except Exception as e:
            log_problem(f"event {body.get('event_id')}", e)
            try:
                if private:
                    client.chat_postMessage(channel=channel, text=PROBLEM)
                else:
                    client.chat_postEphemeral(channel=channel, user=user, text=PROBLEM, thread_ts=thread_ts)
            except Exception as e2:
                log_problem("reporting a problem", e2)


def _is_command_event(event: dict, bot_user_id: str | None) -> bool:
    """Mentions, and direct messages from people: channel chatter, edits, joins and bots are not commands."""
    if event.get("type") == "app_mention":
        return True
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return False
    return bool(event.get("user")) and event.get("user") != bot_user_id


def _is_channel_line(event: dict, bot_user_id: str | None) -> bool:
    """A person's line in a public or private channel that is not addressed to the bot (a mention is
    an app_mention of its own, which logs it)."""
    if event.get("channel_type") not in ("channel", "group") or event.get("subtype") or event.get("bot_id"):
        return False
    user = event.get("user")
    if not user or user == bot_user_id:
        return False
    return not (bot_user_id and f"<@{bot_user_id}" in (event.get("text") or ""))


def _drop_token_notice(record) -> bool:
    """Bolt warns that SLACK_BOT_TOKEN in os.environ is unused when it is given a client: it is the same
    token, and Bolt reads os.environ whatever it is given, so only a log filter silences it."""
    return "`token` will be unused" not in record.getMessage()


def _work_key(body: dict) -> str:
    """What ties a slash command's ack to its lazy listener when there is no trigger_id."""
    return body.get("response_url") or ""


def _as_posts(replies: list[Reply]) -> list[tuple[str, dict]]:
    """Replies as (response_type, message) in order: errors and answers to the asker, changes to the channel."""
    posts = []
    for r in replies or []:
        response_type = "in_channel" if r.public and not r.error else "ephemeral"
        posts += [(response_type, m) for m in to_messages(r.text, menus=not r.error)]
    return posts


def build_app(env, bot, clock: Callable[[], datetime] | None = None) -> App:
    """The Bolt app serving `bot`. Raises ConfigError (one line naming the variable) when a token is missing."""
    adapter = SlackAdapter(SlackConfig.from_env(env), bot, clock)
    adapter.app._goalkeeper = adapter  # tests and the bench reach the adapter (its Home refresh) from the app
    return adapter.app
