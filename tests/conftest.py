"""Shared fixtures live in plugin modules, one per edge, so session-scoped servers start once."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

# every tests/fixtures_*.py is a plugin: core (store, bot), irc (ngircd, InspIRCd+Atheme), slack (stand-in Web API)
pytest_plugins = sorted(
    "tests." + f[:-3] for f in os.listdir(HERE) if f.startswith("fixtures_") and f.endswith(".py")
)
