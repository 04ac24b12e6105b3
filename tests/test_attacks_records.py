"""Attacks on the records: concurrent imports, bad replaces, odd files and bad options.

Each case is one way the issue says gapmap lost data or showed a traceback, written as a test
on small files made in tmp_path.
"""

from __future__ import annotations

import multiprocessing

import pytest

from gapmap import registry
from tests.registry_backends import import_many, make_registry


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["gpkg", "postgres"])
def test_two_processes_importing_at_once_lose_nothing(backend, tmp_path):
    rounds = 20
    with make_registry(backend, tmp_path) as reg:
        target = str(reg.path) if isinstance(reg, registry.Registry) else reg.url
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(2)
        workers = [
            ctx.Process(target=import_many, args=(target, c, rounds, barrier)) for c in ("E06000066", "E10000016")
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0]
        records, log = registry.load(reg)
        for council in ("E06000066", "E10000016"):
            ids = set(records.id[records.council_code == council])
            assert ids == {f"{council}-{i}" for i in range(rounds)}, f"lost: {council}"
        assert len(log) == 2 * rounds
        assert len(registry.versions(reg)) == registry.DEFAULT_KEEP
