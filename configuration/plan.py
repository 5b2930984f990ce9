"""What applying a configuration document would change: `configuration_plan` compares the
tenant's export with the document, object by object (create, update or delete, by name), and
as a unified diff of the two YAML texts.

Only the sections the document has are compared: a section left out of the file is not
managed by it. Within a section the document is declarative: an object the tenant has and the
file does not is deleted (unless `delete=False`, the command's `--no-delete`).
"""

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from configuration.document import (
    API_VERSION,
    KIND,
    SECTION_KEYS,
    ConfigurationInvalid,
    Document,
    yaml_dump,
)
from configuration.export import configuration_export
from federation.models import IdentityProvider
from federation.selectors import identity_provider_secret
from tenants.models import Tenant
from tenants.schemas import in_tenant


@dataclass(frozen=True)
class Change:
    """One object to create, update or delete (`section/name`), or a singleton section to
    update (`section`). `secret` marks an update whose only visible cause is a secret read from
    the environment (the diff never shows secrets)."""

    action: str
    section: str
    name: str = ""
    secret: bool = False

    def __str__(self) -> str:
        where = f"{self.section}/{self.name}" if self.name else self.section
        return f"{self.action} {where}" + (" (secret from the environment)" if self.secret else "")


@dataclass
class Plan:
    """The changes, in the document's section order, and the YAML diff (current → desired)."""

    changes: list[Change]
    diff: str
    current: dict[str, Any]
    desired: dict[str, Any]
    document: Document
    secrets: dict[str, str] = field(default_factory=dict)  # slug → value read from environ
    # After an apply: the objects the tenant stores otherwise than the document says (a
    # service normalised a value: CSS sanitised, a colour lower-cased, Google always trusted).
    unsettled: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        counts = dict.fromkeys(("create", "update", "delete"), 0)
        for change in self.changes:
            counts[change.action] += 1
        return ", ".join(f"{count} to {action}" for action, count in counts.items())

    def changed(self, section: str) -> dict[str, str]:
        """The section's changed objects: name → action."""
        return {c.name: c.action for c in self.changes if c.section == section}


def with_references_of(current: dict[str, Any], desired: dict[str, Any]) -> None:
    """What the document may leave out or name differently without it being a change: an
    app's client ID (a new one is made), an identity provider's secret reference (the name of
    an environment variable, which the tenant does not store)."""
    for section, key, attribute in (
        ("apps", "name", "clientId"),
        ("identityProviders", "slug", "clientSecret"),
    ):
        wanted = {item[key]: item for item in desired.get(section, [])}
        for item in current.get(section, []):
            mine = wanted.get(item[key])
            if mine is None:
                continue
            if attribute in mine:
                item[attribute] = mine[attribute]
            else:
                mine[attribute] = item[attribute]


def _secrets(
    document: Document, environ: Mapping[str, str], errors: list[str]
) -> tuple[dict[str, str], set[str]]:
    """The identity providers' secrets found in the environment, and the slugs whose stored
    secret differs from it. A provider new to the tenant needs its variable set; one it has
    keeps its stored secret when the variable is absent."""
    found: dict[str, str] = {}
    differing: set[str] = set()
    stored = {provider.slug: provider for provider in IdentityProvider.objects.all()}
    for item in document.sections.get("identityProviders", []):
        slug, variable = item["slug"], item["clientSecret"]["fromEnv"]
        value = environ.get(variable, "")
        provider = stored.get(slug)
        if value:
            found[slug] = value
            if provider is not None and identity_provider_secret(provider) != value:
                differing.add(slug)
        elif provider is None:
            where = document.paths[("identityProviders", slug)]
            errors.append(f"{where}.clientSecret.fromEnv: the environment has no {variable}")
    return found, differing


def differing_objects(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """`section/name` (or `section`) of every object whose two versions differ."""
    found = []
    for section, wanted in desired.items():
        had = current.get(section)
        if section not in SECTION_KEYS:
            if had != wanted:
                found.append(section)
            continue
        keyed = SECTION_KEYS[section]
        had_by_name = {keyed(item): item for item in had or []}
        found.extend(
            f"{section}/{keyed(item)}" for item in wanted if had_by_name.get(keyed(item)) != item
        )
    return found


def configuration_plan(
    *,
    tenant: Tenant,
    document: Document,
    environ: Mapping[str, str] | None = None,
    delete: bool = True,
) -> Plan:
    """What applying `document` to `tenant` would change (call it in the public schema).

    Guarantees: nothing is written; an empty `changes` means applying changes nothing; the
    diff names no secret. Raises ConfigurationInvalid when a secret the document references is
    needed and absent from `environ` (the process's environment by default).
    """
    environ = os.environ if environ is None else environ
    exported = configuration_export(tenant=tenant)
    current = {key: exported[key] for key in document.sections}
    desired = dict(document.sections.items())
    with_references_of(current, desired)
    errors: list[str] = []
    with in_tenant(tenant):
        secrets, differing = _secrets(document, environ, errors)
    if errors:
        raise ConfigurationInvalid(errors)
    changes: list[Change] = []
    for section, wanted in desired.items():
        had = current[section]
        if section not in SECTION_KEYS:
            if had != wanted:
                changes.append(Change("update", section))
            continue
        keyed = SECTION_KEYS[section]
        had_by_name = {keyed(item): item for item in had}
        wanted_names = {keyed(item) for item in wanted}
        for item in wanted:
            name = keyed(item)
            before = had_by_name.get(name)
            if before is None:
                changes.append(Change("create", section, name))
            elif before != item:
                changes.append(Change("update", section, name))
            elif section == "identityProviders" and name in differing:
                changes.append(Change("update", section, name, secret=True))
        kept = [item for item in had if keyed(item) not in wanted_names]
        if delete:
            changes.extend(Change("delete", section, keyed(item)) for item in kept)
        elif kept:
            desired[section] = sorted([*wanted, *kept], key=keyed)
    header = {"apiVersion": API_VERSION, "kind": KIND}
    diff = "".join(
        difflib.unified_diff(
            yaml_dump({**header, **current}).splitlines(keepends=True),
            yaml_dump({**header, **desired}).splitlines(keepends=True),
            fromfile="current",
            tofile="desired",
        )
    )
    return Plan(
        changes=changes,
        diff=diff,
        current=current,
        desired=desired,
        document=document,
        secrets=secrets,
    )
