"""Files of customers and password hashes as the systems people migrate from make them."""

import base64
import hashlib
import os

import argon2
import bcrypt
from django.contrib.auth.hashers import PBKDF2PasswordHasher, ScryptPasswordHasher
from django.core.files.base import ContentFile

from bulk.models import CustomerImport
from bulk.services import customer_import_create, customer_import_run
from tenants.models import Tenant
from tenants.schemas import in_tenant

PASSWORD = "Old-System-Pass-7"


def bcrypt_hash(password: str = PASSWORD, prefix: str = "2b") -> str:
    made = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    return f"${prefix}${made[4:]}"


def django_pbkdf2_hash(password: str = PASSWORD) -> str:
    return str(PBKDF2PasswordHasher().encode(password, "djangosalt123", iterations=1000))


def keycloak_hash(
    password: str = PASSWORD, digest: str = "sha256", iterations: int = 210_000
) -> str:
    """Keycloak's credential (base64 salt, iterations, base64 value, 512 bits), in the notation
    the import reads."""
    salt = os.urandom(16)
    value = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations, 64)
    return (
        f"pbkdf2-{digest}${iterations}$"
        f"{base64.b64encode(salt).decode()}${base64.b64encode(value).decode()}"
    )


def argon2_hash(password: str = PASSWORD, kind: argon2.Type = argon2.Type.ID) -> str:
    hasher = argon2.PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=2, type=kind)
    return hasher.hash(password)


def django_scrypt_hash(password: str = PASSWORD) -> str:
    return str(ScryptPasswordHasher().encode(password, "scryptsalt12345"))


def csv_text(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def import_file(
    tenant: Tenant, text: str, file_format: str = "csv", *, run: bool = True
) -> CustomerImport:
    """Upload the text as an import and, unless told not to, run it to its end here."""
    with in_tenant(tenant):
        job = customer_import_create(
            upload=ContentFile(text.encode(), name=f"customers.{file_format}"),
            file_name=f"customers.{file_format}",
            file_format=file_format,
            created_by="admin@example.com",
        )
        if run:
            customer_import_run(job_id=job.object_id)
            job.refresh_from_db()
    return job
