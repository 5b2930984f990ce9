"""The browser, operating system and device read from a sign-in's user agent, once per agent."""

from monitoring.agents import Agent, agent_of

CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_browsers_systems_and_devices_are_named_with_their_versions() -> None:
    assert agent_of(CHROME_ON_WINDOWS) == Agent(
        browser="Chrome 120.0", operating_system="Windows 10", device=""
    )
    assert agent_of(FIREFOX_ON_LINUX) == Agent(
        browser="Firefox 128.0", operating_system="Linux", device=""
    )
    assert agent_of(SAFARI_ON_IPHONE) == Agent(
        browser="Mobile Safari 17.1", operating_system="iOS 17.1", device="iPhone"
    )


def test_an_agent_that_names_nothing_known_reads_as_empty_parts() -> None:
    assert agent_of("") == Agent()
    assert agent_of("x" * 512) == Agent()
    assert agent_of("python-requests/2.32.3").operating_system == ""


def test_each_distinct_agent_is_parsed_once() -> None:
    agent_of.cache_clear()
    for _ in range(1000):
        agent_of(CHROME_ON_WINDOWS)
        agent_of(SAFARI_ON_IPHONE)
    info = agent_of.cache_info()
    assert (info.misses, info.hits) == (2, 1998)
