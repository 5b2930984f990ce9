"""What a process remembers per tenant, bounded: a web worker may serve 10,000 tenants.

Hot lookups (a resolved tenant, its apps and secrets, its signing keys, its branding, its
protection settings) are remembered per process. Keyed by tenant, such a memory would grow with
every tenant a worker has ever served: a `BoundedDict` forgets its oldest entry when a new one
would pass its size, so a worker's memory stays flat however many tenants it serves
(bench/scale.py measures it), while the tenants it serves often stay remembered.

`TenantMemory` is the memory of a tenant's settings: an entry is kept until the change feed
names its tenant (tenants/changes.py), at most CIAM_MEMORY_MAX_SECONDS, for at most
CIAM_MEMORY_TENANTS tenants.
"""

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.conf import settings

from tenants import changes

K = TypeVar("K")
V = TypeVar("V")
MISSING: Any = object()
# Entries one tenant may hold in one memory (keys can carry request input: a scope list).
_PER_TENANT = 256


class BoundedDict(dict[K, V]):
    """A dict of at most `limit` entries: setting a new key past it drops the oldest one
    (insertion order). Reads cost what a dict's cost."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        if key not in self:
            while len(self) >= self.limit:
                try:
                    self.pop(next(iter(self)), None)
                except (StopIteration, RuntimeError):  # emptied or changed by another thread
                    break
        super().__setitem__(key, value)


class TenantMemory:
    """A process's memory of tenants' settings, by schema and key. `window()` is the memory's
    window setting: 0 switches it off (the tests), anything else keeps entries until the change
    feed names their tenant."""

    def __init__(self, window: Callable[[], float]) -> None:
        self._window = window
        self._tenants: BoundedDict[str, dict[Hashable, tuple[float, Any]]] = BoundedDict(
            int(getattr(settings, "CIAM_MEMORY_TENANTS", 20_000))
        )
        changes.on_change(self.forget)

    def get(self, schema: str, key: Hashable) -> Any:
        """The remembered value, or MISSING."""
        if self._window() <= 0:
            return MISSING
        changes.changes_apply_if_due()
        entries = self._tenants.get(schema)
        if entries is None:
            return MISSING
        entry = entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return MISSING
        return entry[1]

    def put(self, schema: str, key: Hashable, value: Any) -> None:
        seconds = changes.memory_seconds(self._window())
        if seconds <= 0 or not changes.may_remember(schema):
            return
        entries = self._tenants.get(schema)
        if entries is None:
            entries = self._tenants[schema] = {}
        elif len(entries) >= _PER_TENANT and key not in entries:
            entries.clear()
        entries[key] = (time.monotonic() + seconds, value)

    def remembered(self, schema: str, key: Hashable, load: Callable[[], V]) -> V:
        value = self.get(schema, key)
        if value is MISSING:
            value = load()
            self.put(schema, key, value)
        return value  # type: ignore[no-any-return]

    def forget(self, schema: str) -> None:
        """Forget the schema's entries ("" or TENANT_ROWS: every schema's)."""
        if schema in ("", changes.TENANT_ROWS):
            if schema == "":
                self._tenants.clear()
            return
        self._tenants.pop(schema, None)

    def clear(self) -> None:
        self._tenants.clear()

    def __len__(self) -> int:
        return len(self._tenants)
