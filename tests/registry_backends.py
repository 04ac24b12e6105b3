"""Registry backends for tests: a GeoPackage in tmp_path, or a fresh schema in the test PostgreSQL.

The PostgreSQL variant needs ``GAPMAP_TEST_POSTGRES`` (a ``postgresql://`` URL to a database
with PostGIS; ``.ci/postgres`` starts one). It is skipped when that is unset, except in CI
(``CI=true``), where a missing server is a failure rather than a silent skip.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gapmap import registry

BACKENDS = ("gpkg", "postgres")


def postgres_url() -> str:
    """The test server's URL, or skip (fail in CI) when there is none."""
    url = os.environ.get("GAPMAP_TEST_POSTGRES", "")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but GAPMAP_TEST_POSTGRES is unset: the PostgreSQL registry tests must run in CI")
        pytest.skip("GAPMAP_TEST_POSTGRES is unset (run .ci/postgres to start a test server)")
    return url


@contextlib.contextmanager
def make_registry(kind: str, tmp_path: Path) -> Iterator[registry.RegistryBackend]:
    """A new, empty registry of ``kind``; a PostgreSQL one lives in its own schema, dropped afterwards."""
    if kind == "gpkg":
        yield registry.Registry(tmp_path / "data" / "registry.gpkg")
        return
    import psycopg

    from gapmap.registry_postgres import PostgresRegistry

    url = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    try:
        yield PostgresRegistry(f"{url}{sep}options=-csearch_path%3D{schema},public")
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def import_many(target: str, council: str, rounds: int, barrier: object) -> None:
    """Import ``rounds`` one-provider files for ``council`` (ids ``council-i``), each in update mode.

    Run in two processes at once, for two councils, to look for lost updates: the registry must
    end with every id of both.
    """
    import pandas as pd

    from gapmap.validate import validate_providers

    barrier.wait(timeout=60)  # both processes start together
    reg = registry.open_registry(target)
    empty = pd.DataFrame({"postcode": [], "easting": [], "northing": []})
    for i in range(rounds):
        table = pd.DataFrame({"id": [f"{council}-{i}"], "easting": ["330000"], "northing": ["130000"]})
        result = validate_providers(table, postcodes=empty)
        registry.import_result(reg, result, council_code=council, source_file=f"{i}.csv", by=council, mode="update")
