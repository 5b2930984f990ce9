"""Sessions that have expired are removed: no request reads them again (the store asks for
unexpired rows only), and every sign-in adds one."""

from django.db import connection
from django.utils import timezone

_BATCH = 5_000


def sessions_clear_expired() -> int:
    """Delete this schema's expired sessions, in batches of short transactions; how many."""
    cleared = 0
    now = timezone.now()
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM accounts_session WHERE session_key IN ("
                "SELECT session_key FROM accounts_session WHERE expire_date <= %s LIMIT %s)",
                [now, _BATCH],
            )
            deleted: int = cursor.rowcount
        cleared += deleted
        if deleted < _BATCH:
            return cleared
