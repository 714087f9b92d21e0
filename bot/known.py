"""What this process knows the store already holds (channels, teams, people's names), so a
command does not write them again: learned only from writes that committed."""
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
            if msg is not None:
                self.channels.add(msg.channel.key)
                self.people[msg.actor.id] = msg.actor.name
            if channel is not None:
                self.channels.add(channel.key)
            if team:
                self.teams.add(team)
