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
from schemathesis.schemas import APIOperation

from tests.factories.management import ManagementWorld

# The run's budget: about 700 calls (70 to 80 s against the live server on a busy machine),
# shared among the operations that take input, each at least 10 and at most 30: as the API
# grows, each operation gets fewer examples and the run stays within its time.
EXAMPLES_BUDGET = 700
EXAMPLES_PER_OPERATION = (10, 30)
# An operation that takes no input at all (POST /signingKeys/rotate) is the same request every
# time: one call checks its answer, thirty would only repeat it (each rotation makes an RSA key).
EXAMPLES_WITHOUT_INPUT = 1
# An operation on one resource is drawn a random ID, which names nothing (404): fewer draws of
# it find as much.
EXAMPLES_PER_ITEM_OPERATION = 8


def _takes_input(operation: APIOperation) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(list(operation.body))


def test_the_api_answers_as_its_document_says(fuzzed_management_world: ManagementWorld) -> None:
    schema = schemathesis.openapi.from_url(fuzzed_management_world.url("openapi.json"))
    headers = fuzzed_management_world.headers()
    failures: dict[str, str] = {}
    every = [result.ok() for result in schema.get_all_operations()]
    with_input = [operation for operation in every if _takes_input(operation)]
    fewest, most = EXAMPLES_PER_OPERATION
    share = max(fewest, min(most, EXAMPLES_BUDGET // max(len(with_input), 1)))
    operations = 0
    for operation in every:
        operations += 1
        examples = share if operation in with_input else EXAMPLES_WITHOUT_INPUT
        if "{" in operation.path:
            examples = min(examples, EXAMPLES_PER_ITEM_OPERATION)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
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
