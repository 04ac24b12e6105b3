"""A worker of a national run killed: the run names the council it lost and finishes the rest."""

from __future__ import annotations

import os
import signal

import pytest

from gapmap.national import LOST, council_gaps, run_local
from tests.test_national import CITY, REQUEST, SCILLY, _providers

VICTIM = "E06000017"  # Rutland: its worker is killed while it holds it
OTHERS = [CITY, SCILLY, "E06000041"]  # and Wokingham


def _killed_on_victim(code, providers, request, *, root=None):
    """The national task, except that the worker holding the victim is killed (SIGKILL, as the OOM killer does)."""
    if code == VICTIM:
        os.kill(os.getpid(), signal.SIGKILL)
    return council_gaps(code, providers, request, root=root)


@pytest.mark.slow
def test_a_killed_worker_names_its_council_and_the_rest_finish():
    said = []
    providers = _providers([(530000.0, 181000.0), (91000.0, 11000.0)])
    table = run_local([*OTHERS, VICTIM], providers, REQUEST, workers=2, progress=said.append, task=_killed_on_victim)
    assert table.attrs[LOST] == [VICTIM]
    assert set(table.council_code) == set(OTHERS)  # every other council, whether or not its worker was stopped too
    assert any(VICTIM in line and "lost" in line for line in said), said
