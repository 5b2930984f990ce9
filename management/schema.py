"""The management API's OpenAPI 3.1 document (drf-spectacular) and its page.

Each operation's `security` lists, as alternatives, the management roles that reach it
(OpenAPI 3.1 lets a bearer scheme name roles), read from the same declaration the permission
check reads (management/permissions.py); every operation documents its problem responses
(RFC 9457), so a client generated from the document knows every answer it can get.
"""

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from management.permissions import roles_of_view
from management.problems import PROBLEM_CONTENT_TYPE

SCHEME = "appToken"


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="A URI naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field → messages, for a request some of whose values are not valid.",
    )


class AppTokenScheme(OpenApiAuthenticationExtension):
    target_class = "management.authentication.AppTokenAuthentication"
    name = SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "An app-only access token (RFC 9068) of this tenant for "
                "`api://management/.default`, holding the management roles an admin consented."
            ),
        }

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list[str]]]:
        declared = roles_of_view(auto_schema.view)
        if declared is None:
            return []
        roles = sorted(declared.for_method(auto_schema.method))
        return [{SCHEME: [role]} for role in roles]


# The answers any operation can give besides its own.
_COMMON_PROBLEMS = {
    "400": "The request is not valid (`errors` names the fields).",
    "401": "No valid app-only access token of this tenant for this API.",
    "403": "The calling app holds none of the roles this operation needs.",
    "404": "No such resource.",
    "406": "The response cannot be given in an acceptable media type.",
    "415": "The request body's media type is not supported.",
    "429": "Too many requests.",
}
_WRITE_PROBLEMS = {
    "409": "The request conflicts with the resource's state.",
    "412": "If-Match names an ETag the resource no longer has.",
    "413": "The request body is too large.",
}


class ManagementAutoSchema(AutoSchema):
    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        problems = dict(_COMMON_PROBLEMS)
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            problems.update(_WRITE_PROBLEMS)
        problem_schema = self.resolve_serializer(ProblemSerializer, "response").ref
        for status, description in problems.items():
            responses.setdefault(
                status,
                {
                    "description": description,
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": problem_schema}},
                },
            )
        return responses


def roles_in_descriptions(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: say in each operation's description which roles reach it."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "security" not in operation:
                continue
            roles = [role for requirement in operation["security"] for role in requirement[SCHEME]]
            note = "Roles (any one): " + ", ".join(f"`{role}`" for role in roles) + "."
            text = operation.get("description", "")
            operation["description"] = f"{text}\n\n{note}" if text else note
    return result
