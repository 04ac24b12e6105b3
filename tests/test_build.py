"""The data build is reproducible and the shipped files are what it makes."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data"
SHIPPED = ROOT / "data"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.skipif(not (SOURCE / "README.md").exists(), reason="raw data (../shared/data) not present")
def test_rebuild_matches_shipped_data(tmp_path):
    run = subprocess.run(
        [sys.executable, "scripts/build_data.py", "--source", str(SOURCE), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    # sample/ (scripts/make_sample.py) and templates/ (hand-written) are not build outputs.
    shipped = sorted(
        p.relative_to(SHIPPED)
        for p in SHIPPED.rglob("*")
        if p.is_file() and p.relative_to(SHIPPED).parts[0] not in ("sample", "templates")
    )
    assert built == shipped
    for rel in built:
        assert _digest(tmp_path / rel) == _digest(SHIPPED / rel), f"{rel} differs from a fresh build"


def test_illustrative_sample_is_reproducible_and_labelled(tmp_path):
    out = tmp_path / "sample.csv"
    run = subprocess.run(
        [sys.executable, "scripts/make_sample.py", "--out", str(out)], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    shipped = SHIPPED / "sample" / "somerset_providers_illustrative.csv"
    assert out.read_bytes() == shipped.read_bytes()
    import pandas as pd

    sample = pd.read_csv(shipped, dtype=str, keep_default_na=False)
    assert set(sample.note) == {"Illustrative sample — not real providers"}
    assert (sample.kind == "micro_enterprise").sum() == 460 and (sample.kind == "day_centre").sum() == 25
    assert (sample[sample.kind == "day_centre"].end_date != "").sum() == 8


def test_shipped_boundaries_are_valid_bng_coverages():
    for layer, n in (("wards", 6826), ("lsoa", 33755), ("msoa", 6856)):
        gdf = gpd.read_parquet(SHIPPED / "boundaries" / f"{layer}.parquet")
        assert len(gdf) == n
        assert gdf.crs.to_epsg() == 27700
        assert gdf.geometry.is_valid.all(), layer
        assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
        # Simplified as a coverage: neighbours still share edges, so nothing overlaps.
        somerset = gdf[gdf.utla_code == "E06000066"]
        assert somerset.union_all().area == pytest.approx(somerset.area.sum(), rel=1e-6)


def test_manifest_records_sources_licences_and_counts():
    man = json.loads((SHIPPED / "manifest.json").read_text())
    names = [s["name"] for s in man["sources"]]
    assert any("Code-Point" in n for n in names) and any("Deprivation" in n for n in names)
    assert all(s["licence"].startswith("Open Government Licence") for s in man["sources"])
    lsoa = next(s for s in man["sources"] if s["output"] == "boundaries/lsoa.parquet")
    assert lsoa["invalid_geometries_repaired"] == 5
    assert man["councils"] == {"upper_tier": 153, "districts": 164}


def test_shipped_data_is_lean():
    size = sum(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file())
    assert size < 40 * 2**20


def test_library_never_imports_streamlit():
    code = "import sys, gapmap, gapmap.cli, gapmap.maps, gapmap.export, gapmap.io; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
