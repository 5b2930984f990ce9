"""The two-node deployment (tests/factories/topology.py) as a fixture, on the test database."""

import os
from collections.abc import Iterator

import pytest

from tests.conftest import in_ci
from tests.factories.live_server import database_url
from tests.factories.topology import Topology, topology_unavailable, two_nodes


@pytest.fixture(scope="module")
def two_nodes_topology(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    """The deployment on the test database, its processes on the test settings with a real
    broker and production's 5-second memories (tests/factories/topology_settings.py); one per
    test module. Skipped, saying why, without nginx or Redis; in CI it must run."""
    reason = topology_unavailable()
    if reason is not None:
        if in_ci():
            pytest.fail(f"{reason}, and CI must run the two-node tests.")
        pytest.skip(f"{reason}: the two-node tests did NOT run.")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.factories.topology_settings",
        "DATABASE_URL": database_url(),
        "CIAM_EMAIL_DIR": str(tmp_path_factory.mktemp("two-nodes-mail")),
        "CIAM_LOG_LEVEL": "WARNING",
    }
    with two_nodes(env, tmp_path_factory.mktemp("two-nodes")) as topology:
        yield topology
