"""The review meeting, held MeetBot-style in a team channel: its `#` words (words.py), how a channel
line reaches it (hearing.py), how it ends (ending.py) and its minutes (minutes.py)."""
