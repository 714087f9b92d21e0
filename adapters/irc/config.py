"""`goalkeeper irc`'s settings, read once from the environment at start (IRC_* variables)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from bot.config import ConfigError

_NICK_RE = re.compile(r"^[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}$")
_CHANNEL_RE = re.compile(r"^[#&+!][^\s,\x00-\x1f\x7f:]{1,49}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9.:\-\[\]_]+$")


@dataclass(frozen=True)
class IrcConfig:
    server: str
    channels: tuple[str, ...]
    port: int = 6697
    tls: bool = True
    nick: str = "goalkeeper"
    password: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    network: str = ""
    tls_ca_file: str | None = None  # IRC_TLS_CA_FILE: a private CA (self-signed test servers)
    rate: float = 1.0  # IRC_RATE: lines a second after the burst
    burst: int = 4  # IRC_BURST
    reconnect_min: float = 2.0  # IRC_RECONNECT_MIN: first wait after a drop, seconds
    reconnect_max: float = 120.0  # IRC_RECONNECT_MAX: the cap on the wait
    ping_interval: float = 60.0  # IRC_PING_INTERVAL: PING after this long without a line from the server
    register_timeout: float = 30.0  # IRC_REGISTER_TIMEOUT: give up a connection not welcomed by then
    tick_interval: float = 5.0  # IRC_TICK_INTERVAL: scheduler pass and outbox drain
    nick_retry: float = 30.0  # IRC_NICK_RETRY: try to regain the wanted nick this often
    channel_lines: int = 8  # IRC_CHANNEL_LINES: longer replies in a channel are cut, the rest on !more

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "IrcConfig":
        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        server = get("IRC_SERVER")
        if not server:
            raise ConfigError("IRC_SERVER is required (the IRC server's host name, e.g. irc.libera.chat)")
        if not _HOST_RE.match(server):
            raise ConfigError(f"IRC_SERVER: {server!r} is not a host name")
        tls = _flag(get("IRC_TLS") or "1", "IRC_TLS")
        port = _int(get("IRC_PORT") or ("6697" if tls else "6667"), "IRC_PORT", 1, 65535)
        nick = get("IRC_NICK") or "goalkeeper"
        if not _NICK_RE.match(nick):
            raise ConfigError(f"IRC_NICK: {nick!r} is not a valid nick (letters, digits, []\\`_^{{|}}-, at most 30)")
        raw_channels = get("IRC_CHANNELS")
        if not raw_channels:
            raise ConfigError("IRC_CHANNELS is required (comma-separated channels, e.g. #releng,#infra)")
        channels: list[str] = []
        for c in (c.strip() for c in raw_channels.split(",")):
            if not c:
                continue
            if not _CHANNEL_RE.match(c):
                raise ConfigError(f"IRC_CHANNELS: {c!r} is not a channel name (like #releng)")
            if c.lower() not in (x.lower() for x in channels):
                channels.append(c)
        if not channels:
            raise ConfigError("IRC_CHANNELS is required (comma-separated channels, e.g. #releng,#infra)")
        sasl_user, sasl_pw = get("IRC_SASL_USERNAME") or None, env.get("IRC_SASL_PASSWORD") or None
        if sasl_user and not sasl_pw:
            raise ConfigError("IRC_SASL_PASSWORD is required when IRC_SASL_USERNAME is set")
        if sasl_pw and not sasl_user:
            raise ConfigError("IRC_SASL_USERNAME is required when IRC_SASL_PASSWORD is set")
        password = env.get("IRC_PASSWORD") or None
        for name, value in (("IRC_PASSWORD", password), ("IRC_SASL_PASSWORD", sasl_pw)):
            if value and re.search(r"[\x00\r\n]", value):
                raise ConfigError(f"{name} contains a line break or NUL")
        network = get("IRC_NETWORK") or server
        if re.search(r"[\s\x00-\x1f]", network):
            raise ConfigError(f"IRC_NETWORK: {network!r} may not contain spaces or control characters")
        rmin = _float(get("IRC_RECONNECT_MIN") or "2", "IRC_RECONNECT_MIN", 0)
        rmax = _float(get("IRC_RECONNECT_MAX") or str(max(120.0, rmin)), "IRC_RECONNECT_MAX", 0)
        if rmax < rmin:
            raise ConfigError(f"IRC_RECONNECT_MAX ({rmax:g}) is below IRC_RECONNECT_MIN ({rmin:g})")
        return cls(
            server=server,
            channels=tuple(channels),
            port=port,
            tls=tls,
            nick=nick,
            password=password,
            sasl_username=sasl_user,
            sasl_password=sasl_pw,
            network=network,
            tls_ca_file=get("IRC_TLS_CA_FILE") or None,
            rate=_float(get("IRC_RATE") or "1", "IRC_RATE", 0.01),
            burst=_int(get("IRC_BURST") or "4", "IRC_BURST", 1, 1000),
            reconnect_min=rmin,
            reconnect_max=rmax,
            ping_interval=_float(get("IRC_PING_INTERVAL") or "60", "IRC_PING_INTERVAL", 0.1),
            register_timeout=_float(get("IRC_REGISTER_TIMEOUT") or "30", "IRC_REGISTER_TIMEOUT", 0.1),
            tick_interval=_float(get("IRC_TICK_INTERVAL") or "5", "IRC_TICK_INTERVAL", 0.05),
            nick_retry=_float(get("IRC_NICK_RETRY") or "30", "IRC_NICK_RETRY", 0.1),
            channel_lines=_int(get("IRC_CHANNEL_LINES") or "8", "IRC_CHANNEL_LINES", 2, 10000),
        )


def _flag(raw: str, name: str) -> bool:
    low = raw.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: {raw!r} is not 1 or 0")


def _int(raw: str, name: str, lo: int, hi: int) -> int:
    if not re.fullmatch(r"\d{1,9}", raw) or not lo <= int(raw) <= hi:
        raise ConfigError(f"{name}: {raw!r} is not a whole number from {lo} to {hi}")
    return int(raw)


def _float(raw: str, name: str, lo: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= lo or value == float("inf"):
        raise ConfigError(f"{name}: {raw!r} is not a number of at least {lo:g}")
    return value
