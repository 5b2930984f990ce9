"""Branding's domain exception (raised by services and by the preview selector)."""


class BrandingInvalid(Exception):
    """Nothing was saved (or previewed); `errors` lists every problem, per element name."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors
