"""The MediaWiki fixture: a real wiki on loopback (tests/mediawiki.py), installed once per test session.

A missing PHP or package fails the run (never a skip): CI must install it (.ci/run).
"""
from __future__ import annotations

import re
import threading

import pytest

from tests.mediawiki import MediaWikiMissing, start


@pytest.fixture(scope="session")
def mediawiki():
    try:
        wiki, stop = start()
    except MediaWikiMissing as e:
        pytest.fail(str(e))
    try:
        yield wiki
    finally:
        stop()


_pages = iter(range(1, 10**9))
_pages_lock = threading.Lock()


@pytest.fixture
def wiki_prefix(request) -> str:
    """A page-name prefix of this test's own: each test writes its own pages on the shared wiki."""
    with _pages_lock:
        n = next(_pages)
    return f"T{n} {re.sub(r'[^A-Za-z0-9]+', ' ', request.node.name).strip()[:60]}"
