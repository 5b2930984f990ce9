"""Branding images in an S3-compatible bucket (django-storages), as several web nodes keep them.

The bucket is a real S3 HTTP server on the loopback interface (moto's server, standing in for
the object store that lies outside this machine); everything on our side is the product's own:
the service saves through the "branding" storage, the resolution gives the bucket's URLs, and
the image is fetched back over HTTP from the address the page would show.
"""

import json
from collections.abc import Iterator

import boto3
import pytest
import requests
from django.test import Client, override_settings
from moto.server import ThreadedMotoServer

from branding.selectors import branding_for
from branding.services import branding_layer_save
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.branding.images import image_bytes, upload

BUCKET = "ciam-branding"
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/branding/*",
        }
    ],
}


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bucket on a local S3 server; its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    # What the README asks of a deployer: anyone may read the branding images (pages and
    # emails show them to everyone), nobody else may write.
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_READ))
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        "branding": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "location": "branding",
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            },
        },
    }
    try:
        with override_settings(STORAGES=storages):
            yield endpoint
    finally:
        server.stop()


def test_an_image_saved_through_one_node_is_in_the_bucket_for_all(
    bucket: str, tenant_a: Tenant
) -> None:
    logo = image_bytes(245, 36)
    with in_tenant(tenant_a):
        layer = branding_layer_save(
            app_id=None,
            locale="",
            values={"accent_color": "#0b6e4f"},
            images={"banner_logo": upload(logo)},
            clear_images=(),
        )
        resolved = branding_for(tenant_a, None, "en")
    name = layer.banner_logo.name
    assert name.startswith(f"{tenant_a.schema_name}/")
    client = boto3.client("s3", endpoint_url=bucket, region_name="us-east-1")
    stored = client.get_object(Bucket=BUCKET, Key=f"branding/{name}")
    assert stored["Body"].read() == logo
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    # The page shows the bucket's address, and the bucket serves the very bytes.
    assert resolved.banner_logo_url.startswith(
        f"{bucket}/{BUCKET}/branding/{tenant_a.schema_name}/"
    )
    served = requests.get(resolved.banner_logo_url, timeout=10)
    assert served.status_code == 200
    assert served.content == logo
    # The product's own asset address serves only its local folder: with a bucket, 404.
    local = Client().get(f"/{tenant_a.domain_name}/branding/assets/{name.split('/', 1)[1]}")
    assert local.status_code == 404
