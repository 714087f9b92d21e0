"""Clicks and forms: status menus, the `/goal add` form, the note / learning form, the Home tab.

Each click or form is the command a person would type, run by the core (bot/choices.py) as the person
in the payload, with its trigger_id recorded in the same commit (a second delivery changes nothing).
The ack carries the change; the message is updated in place after it (chat.update, or the response_url
for an ephemeral message), and a refusal goes to that person alone. Home tabs are published on
`app_home_opened` and again whenever one of the person's goals changes, from any chat or `tick`: the
store's goal history is the feed (`goal_owners_changed_since`), read after every outbox pass.
"""
from __future__ import annotations

import json
import re
import threading

from bot.choices import add_note, choose_status
from bot.home import home_text
from bot.model import Actor, Channel, Message
from bot.render import renderer_for

from .blocks import NOTE_ACTION, STATUS_ACTION, _STATUS_SHOWN, fallback_text, guard, status_menu, to_messages
from .log import log_problem

ADD_FORM = "goal_add"
NOTE_FORM = "goal_note"
ERROR_FIELDS = (("due", ("due:", "date", "past", "when")), ("quarter", ("quarter",)), ("kind", ("kind",)),
                ("owner", ("owner", "know", "mention")))
_NO_STATUS = re.compile(r":white_circle: no status yet")


def _plain(text: str, n: int = 150) -> dict:
    return {"type": "plain_text", "text": text[:n]}


def _error_text(replies) -> str | None:
    """The first error's message without `error: ` and its usage line, or None when all went well."""
    for r in replies:
        if r.error:
            first = r.text.split("\n", 1)[0]
            return first[len("error: "):] if first.startswith("error: ") else first
    return None


class Interactions:
    def __init__(self, adapter, client):
        self.adapter = adapter
        self.bot = adapter.bot
        self.client = client  # retries 429 and 5xx: every call made here may safely be repeated
        self._pending: dict[str, object] = {}
        self._feed_lock = threading.Lock()
        try:
            self._feed, _ = self.bot.store.goal_owners_changed_since(None)
        except Exception as e:  # the store down at start: the first refresh begins from now
            log_problem("home feed", e)
            self._feed = None

    def wire(self, app) -> None:
        app.action(re.compile(rf"^{STATUS_ACTION}:"))(ack=self.on_status, lazy=[self.after_status])
        app.action(re.compile(rf"^{NOTE_ACTION}:"))(self.on_note_button)
        app.view(ADD_FORM)(ack=self.on_add_submit, lazy=[self.after_add])
        app.view(NOTE_FORM)(ack=self.on_note_submit, lazy=[self.after_note])
        app.event("app_home_opened")(ack=lambda ack: ack(), lazy=[self.on_home_opened])

    # -- who and where ---------------------------------------------------------------
    def _foreign(self, body: dict, context) -> str | None:
        """Why a payload is refused: a user of another workspace than the bot's (a shared channel), else None."""
        team = (body.get("team") or {}).get("id") or body.get("team_id") or ""
        user_team = (body.get("user") or {}).get("team_id") or team
        ours = getattr(getattr(context, "authorize_result", None), "team_id", None) or team
        if user_team != team or team != ours:
            return "only people of this workspace can change Goalkeeper's goals here"
        return None

    def _msg(self, body: dict, channel: str | None = None) -> Message:
        user = body["user"]
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        channel = channel if channel is not None else ((body.get("container") or {}).get("channel_id")
                                                        or (body.get("channel") or {}).get("id") or "")
        name = user.get("username") or user.get("name") or user["id"]
        now = self.adapter.clock()
        if not channel:  # the Home tab: a private place of the person's own
            actor = Actor(id=f"slack:{team}:{user['id']}", name=name)
            ch = Channel(key=f"slack:{team}:home-{user['id']}", name=f"@{name}", platform="slack", private=True)
            return Message(text="", actor=actor, channel=ch, at=now)
        private = channel.startswith("D")
        channel_name = "" if private else self.adapter._lookup(self.client, "channel", channel)
        return self.adapter._message("", team, user["id"], name, channel, channel_name, private, now)

    def _run(self, body: dict, run) -> list:
        """The click's command with its trigger_id recorded in the same commit; [] for a redelivery."""
        key = f"trigger:{body['trigger_id']}" if body.get("trigger_id") else None
        if key and key not in self.adapter._replaying and self.bot.delivery_recorded(key):
            return []
        return self.adapter._answer_in_ack(key, body, None, run=run)

    # -- status menus ------------------------------------------------------------------
    def on_status(self, ack, body: dict, context) -> None:
        action = body["actions"][0]
        refused = self._foreign(body, context)
        try:
            gid, status, team = (action.get("selected_option") or {}).get("value", "").split("|", 2)
            gid = int(gid)
        except ValueError:
            refused = refused or "that menu is not one of Goalkeeper's"
        if refused:
            self._pending[body.get("trigger_id", "")] = ("refused", refused)
            ack()
            return
        try:
            msg = self._msg(body)
            with self.bot.bounded_wait(0.8):
                replies = self._run(body, lambda: choose_status(self.bot, msg, gid, status, team))
            self._pending[body.get("trigger_id", "")] = ("done", (replies, gid, status, team))
        except Exception as e:
            log_problem("status menu", e)
            self._pending[body.get("trigger_id", "")] = ("refused", "the bot hit a problem, nothing was changed; try again")
        ack()

    def after_status(self, body: dict, respond) -> None:
        kind, what = self._pending.pop(body.get("trigger_id", ""), ("none", None))
        try:
            if kind == "refused":
                self._refuse(body, respond, what)
                return
            if kind != "done":
                return
            replies, gid, status, team = what
            error = _error_text(replies)
            if error:
                self._refuse(body, respond, error)
                return
            if not replies:
                return  # a redelivery: done the first time
            self._update_in_place(body, respond, gid, status, team)
        except Exception as e:
            log_problem("status menu (after the ack)", e)

    def _refuse(self, body: dict, respond, why: str) -> None:
        """To that person alone: ephemeral under the message, or (from the Home tab) in the app's DM."""
        text = guard(f"error: {why}")
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        else:
            self.client.chat_postMessage(channel=body["user"]["id"], text=text)

    def _update_in_place(self, body: dict, respond, gid: int, status: str, team: str) -> None:
        container = body.get("container") or {}
        user = body["user"]["id"]
        if container.get("type") == "view":
            self.publish_home(f"slack:{body['team']['id']}:{user}")
            return
        message = body.get("message")
        if not message or not message.get("blocks"):  # an ephemeral message Slack did not send back: say it apart
            respond(text=f"#{gid} is now {renderer_for('slack').status(status)} (set by <@{user}>)",
                    response_type="ephemeral", replace_original=False)
            return
        block_id = body["actions"][0].get("block_id")
        shown = renderer_for("slack").status(status)
        blocks = []
        for b in message["blocks"]:
            if b.get("block_id") == block_id and b.get("type") == "section":
                text = b["text"]["text"]
                text = _STATUS_SHOWN.sub(shown, _NO_STATUS.sub(shown, text), count=1) if (
                    _STATUS_SHOWN.search(text)) else f"{text} · {shown}"
                n = int(block_id.rsplit(":", 1)[-1]) if block_id.rsplit(":", 1)[-1].isdigit() else 0
                b = dict(b, text={"type": "mrkdwn", "text": guard(text)}, accessory=status_menu(gid, team, status, n))
            blocks.append(b)
        text = message.get("text") or fallback_text([b["text"]["text"] for b in blocks if b.get("type") == "section"])
        if container.get("is_ephemeral"):
            respond(text=text, blocks=blocks, replace_original=True)
        else:
            self.client.chat_update(channel=container.get("channel_id"), ts=container.get("message_ts"), text=text,
                                    blocks=blocks)

    # -- the /goal add form --------------------------------------------------------------
    def open_add_form(self, body: dict) -> None:
        kinds = self.bot.config.kinds
        view = {
            "type": "modal", "callback_id": ADD_FORM, "title": _plain("Add a goal"), "submit": _plain("Add"),
            "close": _plain("Cancel"),
            "private_metadata": json.dumps({"channel": body.get("channel_id", ""),
                                            "channel_name": body.get("channel_name", "")}),
            "blocks": [
                {"type": "input", "block_id": "title", "label": _plain("Title"),
                 "element": {"type": "plain_text_input", "action_id": "v"}},
                {"type": "input", "block_id": "owner", "label": _plain("Owner"),
                 "element": {"type": "users_select", "action_id": "v", "initial_user": body.get("user_id", "")}},
                {"type": "input", "block_id": "due", "label": _plain("Due"), "optional": True,
                 "element": {"type": "datepicker", "action_id": "v"}},
                {"type": "input", "block_id": "kind", "label": _plain("Kind"),
                 "element": {"type": "static_select", "action_id": "v",
                             "options": [{"text": _plain(k), "value": k} for k in kinds],
                             "initial_option": {"text": _plain(kinds[0]), "value": kinds[0]}}},
                {"type": "input", "block_id": "quarter", "label": _plain("Quarter"), "optional": True,
                 "hint": _plain("this, next, Q3, 2016Q1; empty: the quarter of the due date, or this one"),
                 "element": {"type": "plain_text_input", "action_id": "v"}},
            ],
        }
        self.client.views_open(trigger_id=body["trigger_id"], view=view)

    def on_add_submit(self, ack, body: dict, context) -> None:
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        values = {k: (v.get("v") or {}) for k, v in view["state"]["values"].items()}
        refused = self._foreign(body, context)
        if refused:
            ack(response_action="errors", errors={"title": refused})
            return
        channel = meta.get("channel", "")
        if channel and not channel.startswith("D") and not self._bot_in(channel):
            ack(response_action="errors", errors={"title": "Goalkeeper is no longer in that channel "
                                                           "(/invite it back, then add the goal)"})
            return
        title = (values.get("title", {}).get("value") or "").strip()
        parts = ["goal add", title]  # the title first: every option after it runs to the next key
        owner = values.get("owner", {}).get("selected_user")
        if owner:
            parts.append(f"owner:<@{owner}>")
        kind = (values.get("kind", {}).get("selected_option") or {}).get("value")
        if kind:
            parts.append(f"kind:{kind}")
        quarter = (values.get("quarter", {}).get("value") or "").strip()
        if quarter:
            parts.append(f'quarter:"{quarter}"' if " " in quarter else f"quarter:{quarter}")
        due = values.get("due", {}).get("selected_date")
        if due:
            parts.append(f"due:{due}")
        text = " ".join(p for p in parts if p)
        try:
            msg = self._msg(body, channel)
            with self.bot.bounded_wait(0.8):
                replies = self._run(body, lambda: self.bot.handle(Message(text, msg.actor, msg.channel, msg.at)))
        except Exception as e:
            log_problem("goal add form", e)
            ack(response_action="errors", errors={"title": "the bot hit a problem, nothing was changed; try again"})
            return
        error = _error_text(replies)
        if error:
            ack(response_action="errors", errors={_field_for(error, title): error[:150]})
            return
        self._pending[body.get("trigger_id", "")] = (channel, replies)
        ack()

    def _bot_in(self, channel: str) -> bool:
        try:
            return self.client.conversations_info(channel=channel)["channel"].get("is_member", True) is not False
        except Exception as e:  # a missing scope or a network fault: the post itself will tell
            log_problem(f"conversations.info {channel}", e)
            return True

    def after_add(self, body: dict) -> None:
        channel, replies = self._pending.pop(body.get("trigger_id", ""), ("", []))
        for r in replies:
            try:
                for m in to_messages(r.text, menus=True):
                    self.client.chat_postMessage(channel=channel or body["user"]["id"], text=m["text"],
                                                 blocks=m["blocks"], unfurl_links=False)
            except Exception as e:
                log_problem("posting the added goal", e)

    # -- the note / learning form -----------------------------------------------------------
    def on_note_button(self, ack, body: dict, context) -> None:
        ack()
        action = body["actions"][0]
        gid, _, team = action.get("value", "").partition("|")
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id") or ""
        view = {
            "type": "modal", "callback_id": NOTE_FORM, "title": _plain(f"Note on #{gid}"), "submit": _plain("Save"),
            "close": _plain("Cancel"), "private_metadata": json.dumps({"goal": gid, "team": team, "channel": channel}),
            "blocks": [
                {"type": "input", "block_id": "kind", "label": _plain("What is it"),
                 "element": {"type": "static_select", "action_id": "v", "options": [
                     {"text": _plain("a learning"), "value": "learning"},
                     {"text": _plain("a note with the goal's status"), "value": "note"}],
                     "initial_option": {"text": _plain("a learning"), "value": "learning"}}},
                {"type": "input", "block_id": "text", "label": _plain("Text"),
                 "element": {"type": "plain_text_input", "action_id": "v", "multiline": True}},
            ],
        }
        try:
            self.client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as e:
            log_problem("opening the note form", e)

    def on_note_submit(self, ack, body: dict, context) -> None:
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        values = {k: (v.get("v") or {}) for k, v in view["state"]["values"].items()}
        refused = self._foreign(body, context)
        if refused:
            ack(response_action="errors", errors={"text": refused})
            return
        kind = (values.get("kind", {}).get("selected_option") or {}).get("value") or "learning"
        text = values.get("text", {}).get("value") or ""
        try:
            gid = int(meta.get("goal", ""))
            msg = self._msg(body, meta.get("channel", ""))
            with self.bot.bounded_wait(0.8):
                replies = self._run(body, lambda: add_note(self.bot, msg, gid, kind, text, meta.get("team", "")))
        except Exception as e:
            log_problem("note form", e)
            ack(response_action="errors", errors={"text": "the bot hit a problem, nothing was changed; try again"})
            return
        error = _error_text(replies)
        if error:
            ack(response_action="errors", errors={"text": error[:150]})
            return
        self._pending[body.get("trigger_id", "")] = (meta.get("channel", ""), replies)
        ack()

    after_note = after_add

    # -- the Home tab ---------------------------------------------------------------------
    def on_home_opened(self, body: dict, event: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        team = body.get("team_id") or ""
        self.publish_home(f"slack:{team}:{event['user']}")

    def publish_home(self, owner: str) -> None:
        user = owner.rsplit(":", 1)[-1]
        try:
            text = home_text(self.bot.store, self.bot.config, owner, self.adapter.clock(), renderer_for("slack"))
            blocks = [b for m in to_messages(text, menus=True) for b in m["blocks"]][:100]
            self.client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
        except Exception as e:  # retried by the client already: logged, and the next change publishes again
            log_problem(f"publishing the Home tab of {user}", e)

    def refresh_homes(self) -> int:
        """Publish the Home of every Slack owner whose goals changed since the last look (from any chat)."""
        with self._feed_lock:
            after = self._feed
            last, owners = self.bot.store.goal_owners_changed_since(after)
            self._feed = last
        if after is None:
            return 0
        mine = sorted(o for o in owners if o.startswith("slack:"))
        for owner in mine:
            self.publish_home(owner)
        return len(mine)


def _field_for(error: str, title: str) -> str:
    """Which form field an error of `goal add` is about (the title when none says otherwise)."""
    e = error.lower()
    if "title" in e or not title:
        return "title"
    for field, words in ERROR_FIELDS:
        if any(w in e for w in words):
            return field
    return "title"
