"""Two servers, one PostgreSQL registry (issue #22): one privacy key, one list of users, one registry.

Contract: with ``GAPMAP_REGISTRY=postgresql://…`` the displacement key lives in the database
(created once, under the registry's lock), so ``public-layer`` run with two different
``GAPMAP_HOME`` folders writes the same points; the local accounts are shared too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gapmap import auth, shared
from tests.registry_backends import make_registry
from tests.servers import ROOT

PASSWORD = "correct horse battery staple"
RECORDS = """id,name,kind,services,capacity,start_date,postcode
ZQX-001,Zebedee Quartermain Care,micro_enterprise,home care,3,01/01/2020,TA1 4LH
ZQX-002,Ottoline Vexley Help,micro_enterprise,home help,2,01/01/2020,TA24 8EA
ZQX-005,Hollowmere Day Centre,day_centre,day activities,30,01/01/2005,TA7 0LU
"""


@pytest.fixture
def pg(tmp_path):
    with make_registry("postgres", tmp_path) as reg:
        yield reg.url


def gapmap(home: Path, url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAPMAP_HOME": str(home), "GAPMAP_REGISTRY": url}
    return subprocess.run(
        [sys.executable, "-m", "gapmap", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )


def test_public_layer_writes_the_same_points_from_two_homes(pg, tmp_path):
    records = tmp_path / "providers.csv"
    records.write_text(RECORDS, encoding="utf-8")
    a, b = tmp_path / "server-a", tmp_path / "server-b"
    outs = []
    for home in (a, b):
        out = tmp_path / f"{home.name}.geojson"
        args = ["public-layer", "--council", "E06000066", "--providers", str(records), "--out", str(out)]
        done = gapmap(home, pg, *args)
        assert done.returncode == 0, done.stderr
        outs.append(json.loads(out.read_text()))
    points = [[f["geometry"]["coordinates"] for f in o["features"]] for o in outs]
    assert len(points[0]) == 3 and points[0] == points[1]
    assert not (a / "secret.key").exists() and not (b / "secret.key").exists()  # the key is in the database
    assert shared.read_setting(pg, shared.SECRET) is not None


def test_an_existing_key_file_seeds_the_database_once(pg, tmp_path, monkeypatch):
    from gapmap.privacy import load_or_create_secret

    monkeypatch.setenv("GAPMAP_REGISTRY", pg)
    first, second = tmp_path / "first", tmp_path / "second"
    for home, key in ((first, b"A" * 32), (second, b"B" * 32)):
        home.mkdir()
        (home / "secret.key").write_bytes(key)
    assert load_or_create_secret(first) == b"A" * 32  # the first server's key is kept for everyone
    assert load_or_create_secret(second) == b"A" * 32


def test_users_added_on_one_server_sign_in_on_the_other(pg, tmp_path, monkeypatch):
    done = gapmap(tmp_path / "a", pg, "users", "add", "ed", "--role", "editor", "--password-stdin",
                  stdin=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("GAPMAP_REGISTRY", pg)
    users = auth.load_users(tmp_path / "b")
    assert auth.verify(users, "ed", PASSWORD).role == "editor"
    assert not auth.users_path(tmp_path / "a").exists()


@pytest.mark.slow
def test_two_app_servers_share_one_registry(pg, tmp_path):
    from tests.servers import app_server
    from tests.st_client import Client

    a, b = tmp_path / "server-a", tmp_path / "server-b"
    assert gapmap(a, pg, "users", "add", "ed", "--role", "editor", "--password-stdin",
                  stdin=f"{PASSWORD}\n{PASSWORD}\n").returncode == 0  # fmt: skip
    env = {"GAPMAP_REGISTRY": pg}
    with app_server(a, env=env) as (url_a, _), app_server(b, env=env) as (url_b, _):
        on_b = Client(url_b)
        on_b.run()
        assert on_b.sign_in("ed", PASSWORD).status == "FINISHED_SUCCESSFULLY"  # a user made on A
        before = on_b.run(page="Provider records")
        assert not any("your council's records" in t for t in before.texts)
        # An import on server A's side shows on B at its next run.
        records = tmp_path / "providers.csv"
        records.write_text(RECORDS, encoding="utf-8")
        done = gapmap(a, pg, "import", str(records), "--council", "E06000066", "--by", "ed")
        assert done.returncode == 0, done.stderr
        after = on_b.run()
        assert any("your council's records" in t and "3 providers" in t for t in after.texts), after.texts
        # B's editor now has the records open; an editor on A saves first; B's save is refused.
        on_a = Client(url_a)
        on_a.run()
        on_a.sign_in("ed", PASSWORD)
        on_a.run(page="Provider records")
        saved_a = on_a.click("Save changes")
        assert not saved_a.exceptions and not any("Nothing was saved" in t for t in saved_a.texts)
        refused = on_b.click("Save changes")
        assert any("changed" in t.lower() for t in refused.texts if "Reload" not in t), refused.texts
        on_a.close()
        on_b.close()
