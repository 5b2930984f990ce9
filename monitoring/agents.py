"""The browser, operating system and device a sign-in's user agent names, as the sign-in log
shows them (issue 13).

The log keeps the user agent as sent (monitoring/models.py) and reads it here only when shown:
the detail pane, and each row of a download. ua-parser's built-in regexes take about a
millisecond per agent, and a log holds few distinct agents among many rows, so each distinct
agent is parsed once per process (`agent_of` remembers the last `AGENTS_REMEMBERED`): a million
-row download costs a few hundred parses, not a million.
"""

from dataclasses import dataclass
from functools import lru_cache

import ua_parser

AGENTS_REMEMBERED = 4096


@dataclass(frozen=True)
class Agent:
    """What a user agent names; each part empty when the agent does not say it."""

    browser: str = ""
    operating_system: str = ""
    device: str = ""


def _named(family: str | None, *versions: str | None) -> str:
    if not family or family == "Other":
        return ""
    version = ".".join(part for part in versions if part)
    return f"{family} {version}" if version else family


@lru_cache(maxsize=AGENTS_REMEMBERED)
def agent_of(user_agent: str) -> Agent:
    """The browser ("Chrome 120.0"), operating system ("Windows 10") and device ("iPhone")
    the user agent names, as ua-parser reads it."""
    if not user_agent:
        return Agent()
    found = ua_parser.parse(user_agent)
    browser = found.user_agent
    system = found.os
    device = found.device
    return Agent(
        browser=_named(browser.family, browser.major, browser.minor) if browser else "",
        operating_system=_named(system.family, system.major, system.minor) if system else "",
        device=_named(device.family) if device else "",
    )
