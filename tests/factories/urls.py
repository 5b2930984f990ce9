"""Every URL pattern of the product, for tests that walk them all (roles, isolation, bad
input): later pages are covered without anyone listing them."""

from django.urls import URLPattern, URLResolver, get_resolver


def every_route(urlconf: str | None = None) -> list[str]:
    """Each route of the URLconf (the admin center's by default) as Django writes it, path
    converters included: `admin-center/tenants/<uuid:tenant_id>/apps/`."""
    routes: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            else:
                routes.append(route)

    walk(get_resolver(urlconf).url_patterns, "")
    return routes
