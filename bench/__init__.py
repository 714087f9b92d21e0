"""The bench: every speed target of the project, measured the same way every time (`python -m bench`)."""
