"""The hosted pages' NumericTextBox takes whole numbers in ASCII digits, as the API does."""

import pytest
from django import forms

from journey.forms import WholeNumberField


@pytest.mark.parametrize("text", ["1_000", "١٢", "12.0", "0x1f", "1e3", "--1", "9" * 20])
def test_what_int_alone_would_read_is_refused(text: str) -> None:
    field = WholeNumberField(min_value=-(2**63), max_value=2**63 - 1)
    with pytest.raises(forms.ValidationError):
        field.clean(text)


@pytest.mark.parametrize(("text", "number"), [("36", 36), (" -12 ", -12), ("+7", 7)])
def test_whole_numbers_are_read(text: str, number: int) -> None:
    assert WholeNumberField().clean(text) == number


def test_an_optional_empty_value_is_none() -> None:
    assert WholeNumberField(required=False).clean("") is None
