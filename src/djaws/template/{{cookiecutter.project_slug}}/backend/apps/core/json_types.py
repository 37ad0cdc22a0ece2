"""Request fields take values of their own JSON type only.

DRF's fields coerce: a number passes as a string field (5 becomes "5") and a numeric string as an
integer field. The API reads JSON alone, where every value carries its type, so a value of another
type is the client's mistake: refused with a 400, as the API schema says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

# The JSON types of the fields that coerce (a ChoiceField takes nothing but its own choices already);
# a bool is an int in Python, never in JSON.
EXPECTED_TYPES: tuple[tuple[type[serializers.Field], type, str], ...] = (
    (serializers.CharField, str, "a string"),
    (serializers.IntegerField, int, "an integer"),
)


def type_error(field: serializers.Field, value: Any) -> str | None:
    """Why the value is of the wrong JSON type for the field, or None when it is not."""
    if value is None:
        return None  # the field's own allow_null decides
    for kind, expected, name in EXPECTED_TYPES:
        if isinstance(field, kind):
            return None if isinstance(value, expected) and not isinstance(value, bool) else f"Must be {name}."
    return None


class JsonTypedSerializer(serializers.Serializer):
    """A serializer that refuses values of the wrong JSON type before its fields would coerce them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                name: [message]
                for name, field in self.fields.items()
                if not field.read_only and name in data and (message := type_error(field, data[name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
