"""What this process knows the store already holds (channels, teams, people's names), so a
command does not write them again: learned only from writes that committed. Channel rows (team,
zone) are kept while no other process has committed anything and this one wrote no team or channel."""
from __future__ import annotations

import threading

from .limits import channel_team_name
from .model import Channel, Message


class Known:
    def __init__(self, store, default_tz: str):
        self.store = store
        self.default_tz = default_tz
        self._lock = threading.Lock()
        self.channels: set[str] = set()
        self.teams: set[str] = set()  # teams are never deleted
        self.people: dict[str, str] = {}
        self._rows: dict[str, dict] = {}  # channel key -> its row with the team's zone
        self._rows_token = None

    def channel_row(self, key: str) -> dict:
        """The channel with its team's zone ({} when the store has none), re-read only after a change."""
        token = self.store.others_changed()
        with self._lock:
            if token != self._rows_token:
                self._rows, self._rows_token = {}, token
            row = self._rows.get(key)
        if row is None:
            row = self.store.channel_with_tz(key) or {}
            with self._lock:
                if self._rows_token == token:
                    self._rows[key] = row
        return row

    def needs_touch(self, msg: Message, team: str | None) -> bool:
        return (msg.channel.key not in self.channels or (team is not None and team not in self.teams)
                or self.people.get(msg.actor.id) != msg.actor.name)

    def touch(self, conn, msg: Message, team: str | None = None) -> None:
        """Inside a write: the channel, the team being written to and the speaker exist in the store."""
        self.ensure_channel(conn, msg.channel, msg.at)
        if team and team not in self.teams:
            self.store.ensure_team(conn, team, self.default_tz, msg.at)
        if self.people.get(msg.actor.id) != msg.actor.name:
            self.store.touch_person(conn, msg.actor.id, msg.actor.name, msg.at)

    def ensure_channel(self, conn, ch: Channel, now) -> None:
        if ch.key not in self.channels:
            self.store.ensure_channel(conn, ch.key, ch.name, ch.platform, channel_team_name(ch.name), ch.private, now)

    def committed(self, msg: Message | None, team: str | None = None, channel: Channel | None = None) -> None:
        with self._lock:
            self._rows = {}  # this process's own writes do not move data_version
            if msg is not None:
                self.channels.add(msg.channel.key)
                self.people[msg.actor.id] = msg.actor.name
            if channel is not None:
                self.channels.add(channel.key)
            if team:
                self.teams.add(team)
