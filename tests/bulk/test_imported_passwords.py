"""Customers imported with another system's password hash sign in through the real sign-in page
with their old password, and their hash is argon2id afterwards (Django's check_password
re-hashes with the first of PASSWORD_HASHERS, and the sign-in path saves it)."""

from collections.abc import Callable

import argon2
import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.test import Client, override_settings

from accounts.hashers import UnknownHashFormat, imported_password_hash
from accounts.models import User
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.bulk.factories import (
    PASSWORD,
    argon2_hash,
    bcrypt_hash,
    csv_text,
    django_pbkdf2_hash,
    django_scrypt_hash,
    import_file,
    keycloak_hash,
)
from tests.factories.flows import FlowWorld

HASHES: dict[str, Callable[[], str]] = {
    "bcrypt-2a": lambda: bcrypt_hash(prefix="2a"),
    "bcrypt-2b": lambda: bcrypt_hash(prefix="2b"),
    "bcrypt-2y": lambda: bcrypt_hash(prefix="2y"),
    "django-pbkdf2-sha256": django_pbkdf2_hash,
    "keycloak-pbkdf2-sha256": lambda: keycloak_hash(digest="sha256"),
    "keycloak-pbkdf2-sha512": lambda: keycloak_hash(digest="sha512"),
    "argon2id": argon2_hash,
    "argon2i": lambda: argon2_hash(kind=argon2.Type.I),
    "django-scrypt": django_scrypt_hash,
}


def _sign_in(world: FlowWorld, email: str, password: str) -> int:
    client = Client()
    client.get(authorize_url(world))
    answer = client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": password, "next": authorize_url(world)},
    )
    return answer.status_code


def _stored(world: FlowWorld, email: str) -> str:
    with in_tenant(world.tenant):
        return User.objects.get(email=email).password


@pytest.mark.parametrize("kind", HASHES)
@override_settings(PASSWORD_HASHERS=settings.PRODUCTION_PASSWORD_HASHERS)
def test_an_imported_hash_signs_in_once_then_is_argon2id(flow_world: FlowWorld, kind: str) -> None:
    email = f"{kind}@example.com"
    job = import_file(
        flow_world.tenant,
        csv_text(
            "email,givenName,surname,city,passwordHash",
            f'{email},Imported,Customer,Utrecht,"{HASHES[kind]()}"',  # argon2 has commas
        ),
    )
    assert (job.succeeded, job.failed) == (1, 0)
    imported = _stored(flow_world, email)
    # A wrong password is refused and leaves the imported hash as it was.
    assert _sign_in(flow_world, email, "Not-The-Password-1") == 200
    assert _stored(flow_world, email) == imported
    assert _sign_in(flow_world, email, PASSWORD) == 302
    upgraded = _stored(flow_world, email)
    algorithm, _, argon2_text = upgraded.partition("$")
    assert algorithm == "argon2"
    parameters = argon2.extract_parameters(f"${argon2_text}")
    assert parameters.type is argon2.Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
    # The old password still signs in, now against the argon2id hash.
    assert _sign_in(flow_world, email, PASSWORD) == 302
    assert _stored(flow_world, email) == upgraded


@pytest.mark.parametrize(
    "text",
    [
        "5f4dcc3b5aa765d61d8327deb882cf99",  # unsalted MD5
        "$1$salt$hash",  # md5-crypt
        "$2b$04$short",
        "pbkdf2_sha256$abc$salt$hash",
        "$argon2d$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA",
        "sha1$salt$hash",
    ],
)
def test_unknown_hash_formats_are_refused(text: str) -> None:
    with pytest.raises(UnknownHashFormat):
        imported_password_hash(text)


def test_a_bcrypt_password_over_72_bytes_is_a_wrong_one() -> None:
    encoded = imported_password_hash(bcrypt_hash())
    assert check_password(PASSWORD, encoded)
    assert not check_password("x" * 100, encoded)
