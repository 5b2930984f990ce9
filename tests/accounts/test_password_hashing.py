"""Production hashes customers' and operators' passwords with argon2id at OWASP's parameters.

The test settings swap in a cheap hasher to keep the suite fast, so this asks a fresh process
with the production settings to hash a password, and reads the parameters from the hash.
"""

import argon2

from tests.factories.fresh_process import fresh_value

PASSWORD = "Correct-Horse-42"


def test_production_hashes_passwords_with_argon2id_at_19_mib_2_iterations_1_lane() -> None:
    encoded = fresh_value(
        f"make_password({PASSWORD!r})",
        imports="from django.contrib.auth.hashers import make_password",
    )
    assert isinstance(encoded, str)
    algorithm, _, argon2_hash = encoded.partition("$")
    assert algorithm == "argon2"
    parameters = argon2.extract_parameters(f"${argon2_hash}")
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost == 19 * 1024  # KiB
    assert parameters.time_cost == 2
    assert parameters.parallelism == 1
    assert argon2.PasswordHasher().verify(f"${argon2_hash}", PASSWORD)
