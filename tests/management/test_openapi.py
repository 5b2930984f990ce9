"""The served OpenAPI 3.1 document and its page."""

from pathlib import Path

import requests
from django.core.management import call_command

from tests.factories.management import ManagementWorld


def test_the_document_is_openapi_3_1_with_every_route_and_its_roles(
    management_world: ManagementWorld,
) -> None:
    response = requests.get(management_world.url("openapi.json"), timeout=30)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    users = document["paths"]["/users"]
    assert {"get", "post"} <= set(users)
    assert {"appToken": ["User.ReadWrite.All"]} in users["post"]["security"]
    assert {"appToken": ["User.Read.All"]} in users["get"]["security"]
    assert "412" in document["paths"]["/users/{user_id}"]["patch"]["responses"]
    problem = users["get"]["responses"]["401"]["content"]["application/problem+json"]
    assert problem["schema"]["$ref"].endswith("/Problem")
    assert document["components"]["securitySchemes"]["appToken"]["scheme"] == "bearer"


def test_the_page_renders_swagger_ui_without_inline_script(
    management_world: ManagementWorld,
) -> None:
    page = requests.get(management_world.url("docs"), timeout=10)
    assert page.status_code == 200
    assert "swagger-ui" in page.text
    assert "<script>" not in page.text
    script = requests.get(management_world.url("docs?script"), timeout=10)
    assert script.status_code == 200
    assert "openapi.json" in script.text


def test_the_document_is_generated_without_a_warning(tmp_path: Path) -> None:
    """drf-spectacular warns where it had to guess (a field's type, a colliding operation ID
    or enum name): the document says exactly what the code does, or this fails."""
    call_command(
        "spectacular",
        "--urlconf",
        "management.urls",
        "--fail-on-warn",
        "--validate",
        "--file",
        str(tmp_path / "openapi.yaml"),
    )
    assert (tmp_path / "openapi.yaml").read_text().startswith("openapi: 3.1.0")
