"""The README is the user's manual: it documents every command the registry knows, and nothing else."""
import re
from pathlib import Path

from bot.commands.catalog import registry

REGISTRY = registry()

RAW = (Path(__file__).resolve().parent.parent / "README.md").read_text()
README = RAW.replace("\\|", "|")


def _commands_section() -> str:
    return README.split("## Commands", 1)[1].split("\n## ", 1)[0]


def test_every_command_is_documented():
    missing = []
    for cmd in REGISTRY.commands.values():
        core = re.split(r"\s{2,}|\s\(", cmd.usage)[0].strip()
        if f"`{core}`" not in README and f"`{core} " not in README and core not in README:
            missing.append(core)
    assert missing == []


def test_the_commands_table_is_the_registry_exactly():
    """Each row of the README's commands table names one registered command, and each command has a row."""
    first_cells = [re.split(r"(?<!\\)\|", line)[1] for line in RAW.split("## Commands", 1)[1].split("\n## ", 1)[0]
                   .splitlines() if line.startswith("| `")]
    rows = [u.replace("\\|", "|") for cell in first_cells for u in re.findall(r"`([^`]+)`", cell)]
    documented = {" ".join(w for w in re.sub(r"[<\[].*", "", usage).split()) for usage in rows}
    assert documented == set(REGISTRY.commands)


def test_every_environment_variable_is_documented():
    for var in ("GOALKEEPER_DB", "DATABASE_URL", "GOALKEEPER_TZ", "GOALKEEPER_FISCAL_YEAR_START", "GOALKEEPER_ADMINS",
                "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "GOALKEEPER_SLACK_API_URL",
                "IRC_SERVER", "IRC_PORT", "IRC_TLS", "IRC_NICK", "IRC_CHANNELS", "IRC_PASSWORD",
                "IRC_SASL_USERNAME", "IRC_SASL_PASSWORD", "IRC_NETWORK"):
        assert f"`{var}`" in README, var


def test_the_two_set_up_commands_are_there():
    assert "pip install . && goalkeeper console" in README
    assert "bash .ci/run" in README and "python3 -m pytest" in README
