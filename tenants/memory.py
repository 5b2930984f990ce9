"""What a process remembers per tenant, bounded: a web worker may serve 10,000 tenants.

Hot lookups (a resolved tenant, its signing keys, its branding, its protection settings) are
remembered per process for a few seconds. Keyed by tenant, such a memory would grow with every
tenant a worker has ever served; a `BoundedDict` forgets its oldest entry when a new one would
pass its size, so a worker's memory stays flat however many tenants it serves (bench/scale.py
measures it), while the tenants it serves often stay remembered.
"""

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


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
