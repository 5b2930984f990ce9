"""Django's database sessions, in fewer and plainer statements, keyed also by account; the
sessions of sign-ins still in progress kept in the shared cache.

A signed-in session has the same encoding and guarantees as `django.contrib.sessions.backends.db`,
in the schema's own `accounts_session` table (`accounts.models.Session`), whose rows also name
the account signed in (`user_id`, written with every save): ending an account's sessions is one
indexed DELETE rather than decoding every session.

A session that names no account (a sign-in page's, holding its CSRF secret and where the
sign-in goes next) is kept in the shared cache instead (Redis, or the public schema's cache
table: `tenants.cache`), under a key of its own shape (40 characters where a signed-in one has
32) and the tenant's schema, so one tenant's key means nothing in another's. Every hosted page
a browser opens writes its session; in the tenant's table that INSERT opens the table and its
indexes on a database connection that has not written that tenant's sessions lately, a cost
that grows with the number of tenants a node serves (bench/scale.py). Nothing is lost by
keeping it out: no admin revokes, counts or lists a session without an account. The cache
expires it CIAM_SIGN_IN_SESSION_SECONDS after its last change (an hour, as Keycloak's login
timeout; a signed-in session lasts SESSION_COOKIE_AGE), so pages opened and left cost no row
for long. Once the session names an account (sign-in), it moves into the tenant's table under
a new key, written when the response saves it.

What differs from Django's store besides is the number of round trips on the sign-in path,
where Django's spends a dozen:

- a new key is not checked with a SELECT first: the INSERT itself refuses a duplicate
  (`ON CONFLICT DO NOTHING`) and the key is drawn again;
- rotating the key at sign-in (`cycle_key`, against session fixation) deletes the old row at
  once and writes the new one when the response saves the session: one DELETE and one INSERT,
  where Django inserts, re-reads, deletes and then updates;
- every statement is a single one in autocommit, so none needs its own transaction.

A save never brings back a session that was deleted meanwhile (signed out elsewhere, revoked by
an admin): an UPDATE that finds no row raises UpdateError, as Django's store does.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.models import Session
from tenants.whole_numbers import whole_number

_KEY_LENGTH = 32  # a signed-in session's key, a row in accounts_session
_PENDING_KEY_LENGTH = 40  # a session naming no account yet, in the shared cache
_KEY_CHARS = frozenset(VALID_KEY_CHARS)
_CACHE_PREFIX = "session:"  # the cache's key function adds the schema


def _pending(key: str) -> bool:
    """Whether this (valid) key is one of a session kept in the shared cache."""
    return len(key) == _PENDING_KEY_LENGTH


def _account_id(data: dict[str, Any]) -> int | None:
    """The signed-in account's row ID in session data (django.contrib.auth keeps it as text)."""
    value = data.get(SESSION_KEY)
    return whole_number(str(value)) if value is not None else None


class SessionStore(db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._insert_on_save = False

    @classmethod
    def get_model_class(cls) -> Any:
        return Session

    def _data(self) -> dict[str, Any]:
        """The session's data as it stands, without loading it."""
        return getattr(self, "_session_cache", None) or {}

    def _get_new_session_key(self) -> str:
        # 32 characters from 36: 165 bits (40 for a session in the cache). A collision is
        # refused by the INSERT (or the cache's add), not a SELECT.
        signed_in = _account_id(self._data()) is not None
        length = _KEY_LENGTH if signed_in else _PENDING_KEY_LENGTH
        return get_random_string(length, VALID_KEY_CHARS)

    def _validate_session_key(self, key: str | None) -> bool:
        """Only keys this store could have made reach the database or the cache: a cookie with a
        NUL byte or any other stray character is no session (Django checks the length only, and
        PostgreSQL refuses NUL in text with an error)."""
        return (
            key is not None
            and len(key) in (_KEY_LENGTH, _PENDING_KEY_LENGTH)
            and set(key) <= _KEY_CHARS
        )

    def load(self) -> dict[str, Any]:
        key = self.session_key
        if key is None:
            return {}
        if _pending(key):
            cached = cache.get(_CACHE_PREFIX + key)
            if cached is None:
                self._session_key = None
                return {}
            data: dict[str, Any] = self.decode(cached)
            return data
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT session_data FROM accounts_session "
                "WHERE session_key = %s AND expire_date > %s",
                [key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        stored: dict[str, Any] = self.decode(row[0])
        return stored

    def exists(self, session_key: str) -> bool:
        if _pending(session_key):
            return cache.has_key(_CACHE_PREFIX + session_key)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM accounts_session WHERE session_key = %s", [session_key])
            return cursor.fetchone() is not None

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
            return
        must_create = must_create or self._insert_on_save
        session = self._get_session(no_load=must_create)  # type: ignore[attr-defined]
        account = _account_id(session)
        if _pending(self.session_key):
            if account is None:
                self._save_pending(self.session_key, session, must_create)
                return
            # Signed in: the session moves into the tenant's table, under a key of its own.
            if not self._insert_on_save:  # it was written under its key: that entry goes
                cache.delete(_CACHE_PREFIX + self.session_key)
            self._session_key = self._get_new_session_key()
            self._insert_on_save = must_create = True
        data = self.encode(session)
        expire_date = self.get_expiry_date()
        with connection.cursor() as cursor:
            if must_create:
                cursor.execute(
                    "INSERT INTO accounts_session "
                    "(session_key, session_data, expire_date, user_id) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (session_key) DO NOTHING",
                    [self.session_key, data, expire_date, account],
                )
            else:
                cursor.execute(
                    "UPDATE accounts_session "
                    "SET session_data = %s, expire_date = %s, user_id = %s "
                    "WHERE session_key = %s",
                    [data, expire_date, account, self.session_key],
                )
            written = cursor.rowcount == 1
        if written:
            self._insert_on_save = False
        elif not must_create:
            raise UpdateError
        elif self._insert_on_save:
            # The key drawn by cycle_key is taken (one chance in 2**165): draw another.
            self._session_key = self._get_new_session_key()
            self.save()
        else:
            raise CreateError

    def _save_pending(self, session_key: str, session: dict[str, Any], must_create: bool) -> None:
        """A session naming no account, into the shared cache until its expiry."""
        key, data = _CACHE_PREFIX + session_key, self.encode(session)
        timeout = min(self.get_expiry_age(), settings.CIAM_SIGN_IN_SESSION_SECONDS)
        if timeout <= 0:  # expired already (set_expiry in the past): nothing to keep
            cache.delete(key)
            self._insert_on_save = False
            return
        if not must_create:
            cache.set(key, data, timeout)
        elif cache.add(key, data, timeout):
            self._insert_on_save = False
        elif self._insert_on_save:
            # The key drawn by cycle_key is taken (one chance in 2**206): draw another.
            self._session_key = self._get_new_session_key()
            self.save()
        else:
            raise CreateError

    def cycle_key(self) -> None:
        """A new key for the same data; the old row goes now, the new one is written on save."""
        data = self._session  # type: ignore[attr-defined]
        old_key = self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self._insert_on_save = True
        self.modified = True
        if old_key:
            self.delete(old_key)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key is None:
            return
        if _pending(key):
            cache.delete(_CACHE_PREFIX + key)
            return
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_session WHERE session_key = %s", [key])
