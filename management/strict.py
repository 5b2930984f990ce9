"""A request body's serializer that refuses the fields it does not know, at any depth: a typo
(`displayname`, `isTrusted` one level too high) must be a 400 naming it, never a silent
'nothing to change'."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {str(name): ["This attribute cannot be set here."] for name in sorted(unknown)}
                )
        return super().to_internal_value(data)
