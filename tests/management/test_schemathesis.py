"""schemathesis against the served OpenAPI document, with a token holding every management
role: no server error, and every answer as the document says (status, content type, body).

Hypothesis draws each operation's inputs from the document itself; the live server answers
them for real. The tenant is this test's own, so whatever the run creates or deletes stays
there. (schemathesis's pytest plugin does not load a schema from a session fixture under this
pytest; each operation's strategy is run by Hypothesis directly instead, which is what the
plugin does.)

Every check of schemathesis runs but `positive_data_acceptance`, which expects each request the
document allows to succeed: an opaque cursor the document can only call a string, an email
address already taken, a value a service refuses are all schema-valid and answered with a
documented 400 or 409 problem, as they must be.
"""

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.factories.management import ManagementWorld

EXAMPLES_PER_OPERATION = 30


def test_the_api_answers_as_its_document_says(fuzzed_management_world: ManagementWorld) -> None:
    schema = schemathesis.openapi.from_url(fuzzed_management_world.url("openapi.json"))
    headers = fuzzed_management_world.headers()
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers=headers, timeout=30, excluded_checks=[positive_data_acceptance]
            )

        try:
            answers_as_documented()
        except Exception as failure:
            failures[operation.label] = str(failure)[:3000]
    assert operations >= 8
    assert failures == {}
