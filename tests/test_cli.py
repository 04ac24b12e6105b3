import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gapmap.cli import main
from tests.conftest import SOMERSET
from tests.test_real_data import PARISHES

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("level", ["ward", "lsoa", "msoa", "hex"])
def test_population_csv_per_level(tmp_path, level):
    out = tmp_path / f"somerset-{level}.csv"
    assert main(["population", "--council", "E06000066", "--level", level, "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table.columns[:6].tolist() == [
        "area_code",
        "area_name",
        "pop_total",
        "pop_65plus",
        "pop_75plus",
        "pop_85plus",
    ]
    for col, expected in SOMERSET.items():
        assert table[col].sum() == pytest.approx(expected, abs=1e-3)
    assert {"imd_decile", "older_income_deprived", "rural_share", "disabled_share", "density_per_km2"} <= set(table)
    assert table.area_code.is_unique


def test_population_geojson_for_parish_file(tmp_path):
    out = tmp_path / "parishes.geojson"
    args = [
        "population",
        "--council",
        "Somerset",
        "--level",
        "parish",
        "--areas",
        str(PARISHES),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    features = json.loads(out.read_text())["features"]
    names = [f["properties"]["area_name"] for f in features]
    assert names[:3] == ["Taunton (test parish)", "Frome (test parish)", "Minehead (test parish)"]
    assert features[-1]["geometry"] is None  # the "outside the supplied areas" row
    assert sum(f["properties"]["pop_85plus"] for f in features) == pytest.approx(SOMERSET["pop_85plus"], abs=1e-3)


def test_unknown_council_names_close_matches(capsys):
    assert main(["population", "--council", "E0600066", "--out", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert "unknown council 'E0600066'" in err and "E06000066 (Somerset)" in err


def test_parish_level_needs_a_file(tmp_path, capsys):
    assert main(["population", "--council", "E06000034", "--level", "parish", "--out", str(tmp_path / "a.csv")]) == 2
    assert "--areas" in capsys.readouterr().err
    assert not (tmp_path / "a.csv").exists()


def test_bad_output_suffix(tmp_path, capsys):
    assert main(["population", "--council", "E06000034", "--out", str(tmp_path / "a.xlsx")]) == 2
    assert ".csv or .geojson" in capsys.readouterr().err


def test_councils_lists_codes_and_names(capsys):
    assert main(["councils", "--tier", "upper"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "code\tname\ttier"
    assert "E10000008\tDevon\tupper" in lines and "E08000025\tBirmingham\tupper" in lines
    assert len(lines) == 1 + 153


def test_module_entry_point_exit_status():
    run = subprocess.run(
        [sys.executable, "-m", "gapmap", "population", "--council", "Somersett", "--out", "x.csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "did you mean" in run.stderr and "Somerset" in run.stderr


def _without_ids(page: str) -> str:
    # Folium names every element with a random 32-hex id; the content is what must match.
    import re

    return re.sub(r"_[0-9a-f]{32}", "_ID", page)


@pytest.mark.slow
def test_gaps_html_is_the_apps_offline_handout(tmp_path, monkeypatch):
    from gapmap.analysis import AnalysisRequest, analyse
    from gapmap.gap_map import handout_html
    from gapmap.population import load_council
    from gapmap.privacy import load_or_create_secret, providers_for
    from gapmap.records import load_providers

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    sample = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
    out = tmp_path / "map.html"
    args = ["gaps", "--council", "E06000066", "--providers", str(sample), "--as-at", "2024-06-30"]
    assert main([*args, "--map", "access_e2sfca", "--privacy", "displaced", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    # What the app's "Download map" builds for the same settings (same function, same inputs).
    data = load_council("E06000066")
    provs = load_providers(sample, outline=data.outline()).accepted
    secret = load_or_create_secret(tmp_path / "home")  # the install's key the CLI used
    # In "displaced" mode every figure comes from the public providers, as in a viewer's app.
    public = providers_for(provs, mode="displaced", secret=secret).frame
    analysis = analyse(data, public, AnalysisRequest(as_at=pd.Timestamp("2024-06-30").date()))
    expected = handout_html(analysis, "access_e2sfca", privacy="displaced", secret=secret, illustrative=True)
    assert _without_ids(page) == _without_ids(expected)
    # Offline, every ward drawn, labelled as the sample, no names of sole traders.
    assert "/app/static" not in page and "https://" not in page.split("<script>")[0]
    assert page.count('{"code":"') == 55 and '"type": "Feature"' not in page  # encoded outlines, not GeoJSON
    assert "Illustrative sample — not real providers" in page
    micro = provs[provs.kind == "micro_enterprise"]
    assert not any(str(n) in page for n in micro.name)  # no sole trader's name
    assert "Micro-enterprise" in page  # but they are drawn (moved)


def test_gaps_for_all_councils_rejects_a_map(tmp_path, capsys):
    sample = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
    code = main(["gaps", "--council", "all", "--providers", str(sample), "--out", str(tmp_path / "m.html")])
    assert code == 2
    assert "one council" in capsys.readouterr().err
