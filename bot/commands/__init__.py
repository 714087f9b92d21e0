"""One module per top word (goal, learning, kpi, review, digest, team, help); catalog.py lists them."""
