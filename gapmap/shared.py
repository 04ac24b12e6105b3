"""Settings every server of one PostgreSQL registry shares: the privacy key and the local users.

Two app servers behind one address, each with its own ``$GAPMAP_HOME``, must draw every home at
the same displaced point (two different draws of one home, side by side, narrow it down) and
let the same people sign in. So with ``GAPMAP_REGISTRY=postgresql://…`` both live in the
registry's database, in one small table::

    gapmap_settings (name text PRIMARY KEY, value bytea NOT NULL, changed timestamptz)

- ``secret.key``: the displacement key (:func:`shared_secret`), created once, under the
  registry's advisory lock (the same lock as any other change), so two servers starting at once
  keep one key. An install that already had ``$GAPMAP_HOME/secret.key`` seeds the database
  with it, so its earlier hand-outs keep their points.
- ``users.toml``: the local accounts file (:mod:`gapmap.auth` reads and writes it here).

With a GeoPackage registry nothing changes: both stay files in ``$GAPMAP_HOME``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from gapmap.errors import RegistryError

TABLE = "gapmap_settings"
SECRET = "secret.key"
USERS = "users.toml"
_SCHEMES = ("postgresql://", "postgres://")


def registry_url() -> str | None:
    """The PostgreSQL registry named by ``$GAPMAP_REGISTRY``, or None (a GeoPackage registry)."""
    url = os.environ.get("GAPMAP_REGISTRY", "")
    return url if url.startswith(_SCHEMES) else None


@contextlib.contextmanager
def _connect(url: str) -> Iterator:
    import psycopg

    from gapmap.registry_postgres import PostgresRegistry

    where = PostgresRegistry(url).location  # the URL without its password, for messages
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            yield conn
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RegistryError(f"cannot reach the registry database {where} ({first})") from exc
    except psycopg.Error as exc:
        raise RegistryError(f"registry database error at {where}: {exc}") from exc


def read_setting(url: str, name: str) -> bytes | None:
    """The shared setting ``name``, or None if it has never been written."""
    with _connect(url) as conn:
        if conn.execute("SELECT to_regclass(%s)", [TABLE]).fetchone()[0] is None:
            return None
        row = conn.execute(f"SELECT value FROM {TABLE} WHERE name = %s", [name]).fetchone()
        return bytes(row[0]) if row else None


def write_setting(url: str, name: str, value: bytes) -> None:
    """Write the shared setting ``name`` (one locked transaction, like any registry change)."""
    with _connect(url) as conn, conn.transaction():
        _lock_and_create(conn)
        conn.execute(
            f"INSERT INTO {TABLE} (name, value, changed) VALUES (%s, %s, now()) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed = now()",
            [name, value],
        )


def shared_secret(url: str, *, make: bytes, seed: bytes | None = None) -> bytes:
    """The registry's displacement key, created from ``seed`` (else ``make``) if it has none yet.

    Parameters
    ----------
    url
        The PostgreSQL registry.
    make
        Fresh random bytes, used if the database has no key and there is no ``seed``.
    seed
        This server's existing key file, if any: the first server to store a key gives it to all.

    Returns
    -------
    bytes
        The key every server of this registry uses.
    """
    found = read_setting(url, SECRET)
    if found is not None:
        return found
    with _connect(url) as conn, conn.transaction():
        _lock_and_create(conn)
        # Under the lock: whoever came first has stored the key; keep theirs.
        row = conn.execute(f"SELECT value FROM {TABLE} WHERE name = %s", [SECRET]).fetchone()
        if row:
            return bytes(row[0])
        key = seed if seed else make
        conn.execute(f"INSERT INTO {TABLE} (name, value, changed) VALUES (%s, %s, now())", [SECRET, key])
        return key


def _lock_and_create(conn) -> None:
    from gapmap.registry_postgres import LOCK_KEY

    conn.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} "
        "(name text PRIMARY KEY, value bytea NOT NULL, changed timestamptz NOT NULL DEFAULT now())"
    )
