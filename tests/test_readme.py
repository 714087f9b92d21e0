"""The README's first steps reproduce literally: its command line, run on its session, prints its replies."""
import re
import shlex
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _first_steps():
    start = README.split("## Start in one command", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w*)\n(.*?)```", start, re.S)
    line = next(b for lang, b in blocks if lang == "sh" and "--now" in b).strip()
    session = next(b for lang, b in blocks if b.startswith("> "))
    return line, session


def test_the_first_steps_session_is_what_the_console_prints(cli, tmp_path):
    line, session = _first_steps()
    words = shlex.split(line)
    env = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
    args = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
    assert args[0] == "goalkeeper" and "--user" in args and "--now" in args
    inputs = [l[2:] for l in session.splitlines() if l.startswith("> ")]
    expected = [l for l in session.splitlines() if not l.startswith("> ")]
    r = cli(args[1:], env={**env, "GOALKEEPER_DB": str(tmp_path / env.get("GOALKEEPER_DB", "g.db"))},
            input="\n".join(inputs) + "\n", cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == expected


def test_every_command_that_takes_now_documents_it():
    procs = README.split("## Processes", 1)[1].split("\n## ", 1)[0]
    for cmd in ("console", "tick", "review", "minutes"):
        row = next(l for l in procs.splitlines() if l.startswith(f"| `goalkeeper {cmd}"))
        assert "--now ISO" in row and "UTC" in row, row
