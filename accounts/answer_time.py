"""Answers whose time must not tell what the request found.

Sign-up answers an address that has an account (a notice is emailed, nothing is stored) and
a new one (an account, its address and a code are stored, a code is emailed) with the same
page, but the second did more work and took longer, which told the two apart. Doing the same
work on both paths would leave whatever differences remain (signal receivers, indexes, the
messages' templates) to be found by someone patient; instead the answer is held until the
next multiple of a fixed quantum since the request began. Work that fits in one quantum (all
of it, but on an overloaded node) then shows as exactly one quantum, whatever it was.

The cost: a web process waits out the rest of the quantum (about 85 ms of 100 ms per sign-up),
idle, which is less than a password sign-in costs it in hashing; allauth limits sign-ups per
address (20 a minute).
"""

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Larger than a sign-up takes on a busy node (15-35 ms measured), small enough for a person.
SIGNUP_ANSWER_QUANTUM_SECONDS = 0.1


@contextmanager
def answered_on_the_quantum(quantum: float) -> Iterator[None]:
    """Run the block, then wait until a whole number of `quantum` seconds (at least one)
    has passed since it began, whether it returned or raised."""
    started = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - started
        time.sleep(max(1, math.ceil(elapsed / quantum)) * quantum - elapsed)
