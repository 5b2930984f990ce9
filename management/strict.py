"""A request body that names a member the operation does not take is refused (400 naming it),
never silently ignored: a misspelt `displayNmae` must not look like a successful write."""

from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        initial = self.initial_data if isinstance(self.initial_data, dict) else {}
        unknown = set(initial) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["This attribute cannot be set here."] for name in sorted(unknown)}
            )
        return attrs
