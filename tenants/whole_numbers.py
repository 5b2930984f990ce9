"""Whole numbers read from text a client sent: ASCII digits only, and not too many of them.

`int()` alone also reads "1_000", Arabic-Indic "١٢" and surrounding spaces, and raises on "²"
(which `str.isdigit` passes) and on more than 4,300 digits. Row IDs, `max_age`, an account ID
kept in a session and Int attribute values are all read here.
"""

import re

_UNSIGNED = re.compile(r"[0-9]{1,19}")
_SIGNED = re.compile(r"[+-]?[0-9]{1,19}")


def whole_number(text: str, *, signed: bool = False) -> int | None:
    """The number `text` spells in at most 19 ASCII digits (after a sign, when `signed`), or
    None for anything else."""
    return int(text) if (_SIGNED if signed else _UNSIGNED).fullmatch(text) else None
