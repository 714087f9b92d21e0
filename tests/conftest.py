"""Shared fixtures live in plugin modules, one per edge, so session-scoped servers start once."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytest_plugins = ["tests.fixtures_core"]
