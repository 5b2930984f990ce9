"""Reading extensions and their recorded calls (tenant schema)."""

import uuid

from django.db.models import QuerySet

from extensions.models import CustomAuthenticationExtension, ExtensionCall


def extension_list() -> QuerySet[CustomAuthenticationExtension]:
    """The tenant's extensions by name, with their API app and listener count."""
    return CustomAuthenticationExtension.objects.select_related("api_app").order_by("name")


def extension_get(*, extension_id: uuid.UUID) -> CustomAuthenticationExtension | None:
    return (
        CustomAuthenticationExtension.objects.select_related("api_app")
        .filter(extension_id=extension_id)
        .first()
    )


def extension_calls(*, extension: CustomAuthenticationExtension) -> QuerySet[ExtensionCall]:
    """The extension's recorded calls, newest first (at most `CALLS_KEPT` are kept)."""
    return ExtensionCall.objects.filter(extension=extension).order_by("-occurred_at", "-id")


def extension_call_get(
    *, extension: CustomAuthenticationExtension, call_id: int
) -> ExtensionCall | None:
    """One recorded call of this extension (another extension's call is not found)."""
    return ExtensionCall.objects.filter(extension=extension, pk=call_id).first()
