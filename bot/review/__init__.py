"""The quarterly review: built from the store's export (build), written as text (text) or an HTML deck (deck)."""
from .build import (COUNT_KEYS, Review, ReviewGoal, ReviewKpi, ReviewLearning, build_all, build_review,  # noqa: F401
                    display_name, format_number, with_unit)
from .deck import render_html  # noqa: F401
from .text import percent, render_all_markdown, render_all_wiki, render_chat, render_markdown, render_wiki  # noqa: F401
