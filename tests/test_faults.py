"""Faults: the registry's PostgreSQL restarted during use; a full disk while a hand-out is written."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port

RECORDS = """id,name,kind,services,capacity,start_date,postcode
ZQX-001,Zebedee Quartermain Care,micro_enterprise,home care,3,01/01/2020,TA1 4LH
ZQX-005,Hollowmere Day Centre,day_centre,day activities,30,01/01/2005,TA7 0LU
"""


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _as_postgres(command: str) -> None:
    if os.getuid() == 0:
        subprocess.run(["su", "postgres", "-s", "/bin/bash", "-c", command], check=True, capture_output=True)
    else:
        subprocess.run(["bash", "-c", command], check=True, capture_output=True)


@pytest.fixture
def own_postgres(tmp_path):
    """A PostgreSQL server of this test's own (it is stopped and started again), from .ci/postgres."""
    if _pg_bin() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL is not installed (apt-get install postgresql postgis)")
        pytest.skip("PostgreSQL is not installed")
    folder = Path("/tmp") / f"gapmap-pgfault-{free_port()}"
    port = str(free_port())
    url = subprocess.run(
        [str(ROOT / ".ci" / "postgres"), str(folder), port], check=True, capture_output=True, text=True
    ).stdout.strip()
    ctl = f"{_pg_bin()}/pg_ctl -D '{folder}/data'"
    state = {"url": url, "stop": lambda: _as_postgres(f"{ctl} -m fast -w stop")}
    state["start"] = lambda: subprocess.run([str(ROOT / ".ci" / "postgres"), str(folder), port], check=True)
    try:
        yield state
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _as_postgres(f"{ctl} -m immediate stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_postgres_restarted_during_use_the_page_says_so_and_recovers(own_postgres, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from gapmap.cli import main as cli_main

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GAPMAP_REGISTRY", own_postgres["url"])
    records = tmp_path / "providers.csv"
    records.write_text(RECORDS, encoding="utf-8")
    assert cli_main(["import", str(records), "--council", "E06000066", "--by", "Setup"]) == 0
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/records.py").run()
    assert not at.exception and not at.error
    assert any("your council's records" in s.value for s in at.success)

    own_postgres["stop"]()
    for page in ("pages/records.py", "pages/gaps.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        assert any("unavailable just now" in e.value for e in at.error), (page, [e.value for e in at.error])
        assert not any("postgresql://" in e.value for e in at.error)  # the database's address stays in the log

    own_postgres["start"]()
    at.switch_page("pages/records.py").run()  # the same server process: no restart
    assert not at.exception and not at.error
    assert any("your council's records" in s.value for s in at.success)


# --- A full disk while a hand-out is written -------------------------------------------------

SAMPLE = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


@pytest.fixture
def full_disk(tmp_path):
    """A folder on a 256 kB file system (tmpfs, needs root); else a 256 kB limit on file size."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True)
    try:
        yield folder, mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.slow
def test_full_disk_during_a_deck_from_the_command_line_leaves_nothing(full_disk):
    folder, real = full_disk
    out = folder / "deck.pptx"
    limit = "" if real else "resource.setrlimit(resource.RLIMIT_FSIZE, (262144, 262144)); "
    code = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); " + limit +
        "from gapmap.cli import main; sys.exit(main(sys.argv[1:]))"
    )  # fmt: skip
    args = ["report", "--council", "E06000066", "--providers", str(SAMPLE), "--format", "pptx", "--out", str(out)]
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "space" in done.stderr.lower() or "too large" in done.stderr.lower(), done.stderr[-500:]
    assert list(folder.iterdir()) == []  # no deck, no half-written temporary file or folder


@pytest.mark.slow
def test_full_disk_during_a_deck_build_in_the_app_says_so_and_keeps_nothing(monkeypatch):
    import errno

    import matplotlib.figure
    from streamlit.testing.v1 import AppTest

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/plan.py").run()
    assert not at.exception
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", no_space)  # every picture's write fails
    at.button(key="make-pptx-plan").click().run()
    assert not at.exception
    assert any("disk is full" in e.value for e in at.error), [e.value for e in at.error]
    assert "handout-pptx" not in at.session_state
    assert "Download slides (PowerPoint)" not in [d.proto.label for d in at.get("download_button")]
    monkeypatch.undo()  # space again: the same button makes the deck
    at.button(key="make-pptx-plan").click().run()
    assert not at.exception and "handout-pptx" in at.session_state
