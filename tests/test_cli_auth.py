"""CLI: ``public-layer`` (the viewer's provider layer) and ``users``."""

import io
import json
import stat
from datetime import date

import numpy as np
import pytest

from gapmap import auth
from gapmap.cli import main
from gapmap.config import PACKAGE_ROOT
from gapmap.privacy import load_or_create_secret, public_layer
from gapmap.records import load_providers

SAMPLE = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


def test_public_layer_is_the_viewers_layer(tmp_path, monkeypatch, somerset, capsys):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    out = tmp_path / "layer.geojson"
    args = ["public-layer", "--council", "E06000066", "--providers", str(SAMPLE), "--as-at", "2024-06-30"]
    assert main([*args, "--out", str(out)]) == 0
    assert "illustrative sample" in capsys.readouterr().err
    features = json.loads(out.read_text())["features"]
    assert {k for f in features for k in f["properties"]} == {"kind", "status", "closed_on", "data_note"}
    assert all("id" not in f for f in features)
    text = out.read_text()
    assert "ILL-ME-" not in text and "Sample micro-provider" not in text and "TA24 8EA" not in text
    # Same points as the app's viewer map: public_layer with this install's secret.
    providers = load_providers(SAMPLE, outline=somerset.outline()).accepted
    expected = public_layer(
        providers, mode="displaced", secret=load_or_create_secret(tmp_path), as_at=date(2024, 6, 30)
    ).to_crs(4326)
    got = np.array([f["geometry"]["coordinates"] for f in features])
    assert np.allclose(got, np.c_[expected.geometry.x, expected.geometry.y], atol=1e-9)
    # counts: micro-providers left out altogether.
    assert main([*args, "--privacy", "counts", "--out", str(out)]) == 0
    kinds = {f["properties"]["kind"] for f in json.loads(out.read_text())["features"]}
    assert "micro_enterprise" not in kinds and "day_centre" in kinds


def test_public_layer_refuses_exact_and_bad_output(tmp_path, monkeypatch):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    base = ["public-layer", "--council", "E06000066", "--providers", str(SAMPLE)]
    assert main([*base, "--privacy", "exact", "--out", str(tmp_path / "x.geojson")]) == 2
    assert main([*base, "--out", str(tmp_path / "x.csv")]) == 2


def test_users_add_list_remove(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "add", "vera", "--role", "viewer", "--password-stdin"]) == 0
    path = tmp_path / "home" / "users.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.verify(auth.read_users(path), "vera", "a long enough password").role == "viewer"
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    assert capsys.readouterr().out == "vera\tviewer\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "bob", "--role", "editor", "--password-stdin"]) == 2
    assert "at least 12" in capsys.readouterr().err
    assert main(["users", "add", "bob", "--role", "owner", "--password-stdin"]) == 2
    assert main(["users", "remove", "nobody"]) == 2
    assert main(["users", "remove", "vera"]) == 0
    assert auth.read_users(path) == {}


def test_users_add_prompts_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    answers = iter(["a long enough password", "a different password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert main(["users", "add", "ed", "--role", "editor"]) == 2
    answers = iter(["a long enough password"] * 2)
    assert main(["users", "add", "ed", "--role", "editor"]) == 0
    assert auth.read_users(auth.users_path(tmp_path))["ed"].role == "editor"


@pytest.mark.parametrize("name", ["bad name", "x" * 70])
def test_users_bad_names(tmp_path, monkeypatch, name):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "add", name, "--role", "viewer", "--password-stdin"]) == 2
