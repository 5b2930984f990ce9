"""`ETag` and `If-Match` (RFC 9110 §8.8.3, §13.1.1): two admins cannot overwrite each other.

A resource's ETag is a digest of its representation as the API answers it, so any change to
what a client can see changes it, with no version column on any table. A write (PATCH, PUT,
DELETE) that sends `If-Match` proceeds only while the representation still has that ETag;
the view reads it under a row lock (`select_for_update`) inside the write's transaction, so
a concurrent write waits and then finds the ETag changed: 412, never a silent overwrite.
Without `If-Match` the write proceeds (as Graph's do); `If-Match: *` matches any.
"""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from management.problems import PreconditionFailed


def etag_of(representation: Mapping[str, Any]) -> str:
    canonical = json.dumps(representation, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def precondition_check(request: Request, representation: Mapping[str, Any]) -> None:
    """Raise PreconditionFailed (412) unless the request's If-Match names this representation."""
    header = request.META.get("HTTP_IF_MATCH")
    if header is None:
        return
    # Strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
    wanted = {tag.strip() for tag in header.split(",") if tag.strip()}
    if "*" in wanted:
        return
    if etag_of(representation) not in wanted:
        raise PreconditionFailed()


def with_etag(response: Response, representation: Mapping[str, Any]) -> Response:
    response["ETag"] = etag_of(representation)
    return response
