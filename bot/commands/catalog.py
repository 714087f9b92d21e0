"""The command modules, listed once: the registry the core serves is built from exactly these."""
from __future__ import annotations

from . import checkin, digest, goal, help, kpi, learning, meeting, review, team
from .registry import Registry

MODULES = (goal, learning, kpi, review, digest, checkin, team, meeting, help)


def registry() -> Registry:
    return Registry(MODULES)
