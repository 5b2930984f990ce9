"""The management API (management/): Django REST framework and its OpenAPI 3.1 document."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["management.authentication.AppTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["management.permissions.HoldsManagementRole"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "management.problems.problem_response",
    "DEFAULT_SCHEMA_CLASS": "management.schema.ManagementAutoSchema",
    # No anonymous "user" object: the caller is an app (request.auth), never a session's user.
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
    "DEFAULT_PAGINATION_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    "STRICT_JSON": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CIAM management API",
    "DESCRIPTION": (
        "Everything the admin center manages in one tenant, over REST. Authenticate with an "
        "app-only access token from the tenant's token endpoint (client credentials, scope "
        "`api://management/.default`) whose `roles` an admin consented to under the app's API "
        "permissions. Errors are RFC 9457 problem details; lists are cursor-paged; updates "
        "take `If-Match` with the `ETag` of the representation they change."
    ),
    "VERSION": "1.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "SERVERS": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two choice sets are both called `state` (Graph's names): each gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "MethodStateEnum": ["enabled", "disabled"],
        "PolicyStateEnum": ["enabled", "disabled", "enabledForReportingButNotEnforced"],
    },
    "DISABLE_ERRORS_AND_WARNINGS": False,
    "PREPROCESSING_HOOKS": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "management.schema.roles_in_descriptions",
    ],
}
