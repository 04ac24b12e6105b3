"""Attacks on the records: concurrent imports, bad replaces, odd files and bad options.

Each case is one way the issue says gapmap lost data or showed a traceback, written as a test
on small files made in tmp_path.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from gapmap import io, registry
from gapmap.cli import main
from gapmap.errors import ProviderFileError
from gapmap.records import load_providers
from tests.registry_backends import import_many, make_registry

ROOT = Path(__file__).resolve().parent.parent


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


# --- helpers -------------------------------------------------------------------------------------

GOOD = "id,name,postcode,capacity\nA1,Ann's Help,TA1 1AA,12\nA2,Bob's Care,TA1 4LH,8\n"


def cli(capsys, *args: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit status and what it said on stderr."""
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return status, captured.err.strip()


def refused(capsys, *args: str, words: str) -> str:
    """The command exits 2 and its last line names the problem."""
    status, err = cli(capsys, *args)
    assert status == 2, err
    last = err.splitlines()[-1]
    assert re.search(words, last), last
    return last


def xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def points(path: Path, crs: object, xy: tuple[float, float], **kw: object) -> Path:
    gdf = gpd.GeoDataFrame({"id": ["P1"], "name": ["Pat"]}, geometry=[shapely.Point(*xy)], crs=crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio's notice about writing a file without a CRS
        gdf.to_file(path, engine="pyogrio", **kw)
    return path


# --- odd files -----------------------------------------------------------------------------------


def test_cr_only_line_endings_are_read(tmp_path):
    f = tmp_path / "mac.csv"
    f.write_bytes(GOOD.replace("\n", "\r").encode())
    table = io.read_record_table(f)
    assert table.id.tolist() == ["A1", "A2"] and table.capacity.tolist() == ["12", "8"]


def test_a_workbook_renamed_csv_is_named_as_such(tmp_path, capsys):
    f = xlsx(tmp_path / "list.xlsx", {"Sheet": [["id", "postcode"], ["A1", "TA1 1AA"]]}).rename(tmp_path / "list.csv")
    refused(capsys, "validate", f, "--council", "E06000066", words=r"list\.csv: .*is an Excel workbook")


def test_a_missing_file(tmp_path, capsys):
    refused(capsys, "validate", tmp_path / "nope.csv", "--council", "E06000066", words="no such file")


def test_every_sheet_is_read_or_chosen(tmp_path, capsys):
    f = xlsx(
        tmp_path / "two.xlsx",
        {
            "Notes": [["read me"]],  # one line of text: not a sheet of rows, never offered
            "Open": [["id", "postcode"], ["A1", "TA1 1AA"]],
            "Closed": [["id", "postcode", "closed"], ["C1", "TA1 4LH", "31/03/2016"]],
        },
    )
    assert io.record_layers(f) == ["Open", "Closed"]
    refused(capsys, "validate", f, "--council", "E06000066", words=r"2 sheets with rows \('Open', 'Closed'\).*--sheet")
    assert cli(capsys, "validate", f, "--council", "E06000066", "--sheet", "Closed", "--kind", "closures")[0] == 0
    assert io.read_record_table(f, sheet="Closed").id.tolist() == ["C1"]
    refused(capsys, "validate", f, "--council", "E06000066", "--sheet", "Typo", words="no sheet called 'Typo'")


def test_every_geopackage_layer_is_read_or_chosen(tmp_path, capsys):
    f = points(tmp_path / "two.gpkg", 27700, (330_000, 130_000), layer="open")
    points(f, 27700, (331_000, 131_000), layer="closed")
    refused(capsys, "validate", f, "--council", "E06000066", words=r"2 layers with rows \('open', 'closed'\)")
    table = io.read_record_table(f, sheet="closed")
    assert (table.easting.tolist(), table.northing.tolist()) == ([331_000.0], [131_000.0])


def test_a_zip_of_two_shapefiles_needs_a_choice(tmp_path):
    for name in ("a", "b"):
        points(tmp_path / f"{name}.shp", 27700, (330_000, 130_000))
    z = tmp_path / "two.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in tmp_path.glob("[ab].*"):
            zf.write(p, p.name)
    with pytest.raises(ProviderFileError, match=r"2 shapefiles"):
        io.read_record_table(z)
    assert io.read_record_table(z, sheet="b.shp").easting.tolist() == [330_000.0]


def test_an_uncached_formula_is_flagged_on_its_row(tmp_path, capsys):
    # openpyxl saves formulas without their values, as any program but Excel may.
    f = xlsx(
        tmp_path / "f.xlsx", {"S": [["id", "postcode", "capacity"], ["A1", "TA1 1AA", "=2*6"], ["A2", "TA1 4LH", 8]]}
    )
    assert main(["validate", str(f), "--council", "E06000066", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(p["row"], p["field"]) for p in report["rejected"]] == [(2, "capacity")]
    assert "formula (=2*6)" in report["rejected"][0]["problem"]
    assert report["accepted"] == 1  # and never a silent capacity of 10


def test_full_width_formula_signs_are_formulas(tmp_path):
    f = tmp_path / "fw.csv"
    f.write_text('id,name,postcode,capacity\nA1,"＝HYPERLINK(""http://x"",""Ann"")",TA1 1AA,3\nA2,Bo,TA1 4LH,＝1+1\n')
    r = load_providers(f)
    assert r.accepted.name.tolist() == ["Ann"]  # the link's text, not the formula
    assert [(p.row, p.field) for p in r.rejected] == [(3, "capacity")]


def test_too_many_rows_columns_or_unpacked_bytes(tmp_path, monkeypatch, capsys):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n")
    t = time.perf_counter()
    refused(capsys, "validate", wide, "--council", "E06000066", words="1,000,000 columns is over the 500 limit")
    assert time.perf_counter() - t < 20  # refused up front, not after minutes of parsing
    monkeypatch.setattr(io, "MAX_RECORD_ROWS", 50)
    long = tmp_path / "long.xlsx"
    xlsx(long, {"S": [["id", "postcode"], *[[f"A{i}", "TA1 1AA"] for i in range(60)]]})
    with pytest.raises(ProviderFileError, match="over 50 rows"):
        io.read_record_table(long)
    (tmp_path / "long.csv").write_text("id,postcode\n" + "A,TA1 1AA\n" * 60)
    with pytest.raises(ProviderFileError, match="over 50 rows"):
        io.read_record_table(tmp_path / "long.csv")
    monkeypatch.setattr(io, "MAX_RECORD_UNPACKED_BYTES", 10_000)
    with pytest.raises(ProviderFileError, match="unpacks to"):
        io.read_record_table(long)


@pytest.mark.slow
def test_a_small_workbook_that_unpacks_to_millions_of_rows_is_refused_at_once(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    xlsx(bomb, {"S": [["id"], ["x"]]})
    rows = "<row><c><v>1</v></c></row>" * 3_000_000  # row numbers are optional: it packs tightly
    sheet = f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    with zipfile.ZipFile(bomb) as src, zipfile.ZipFile(tmp_path / "b2.xlsx", "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = sheet.encode() if item.filename.endswith("sheet1.xml") else src.read(item)
            dst.writestr(item.filename, data, compresslevel=9)
    assert (tmp_path / "b2.xlsx").stat().st_size < 2 * 2**20
    t = time.perf_counter()
    with pytest.raises(ProviderFileError, match="unpacks to|over 100,000 rows"):
        io.read_record_table(tmp_path / "b2.xlsx")
    assert time.perf_counter() - t < 10


def test_bng_coordinates_without_a_crs(tmp_path, capsys):
    gj = points(tmp_path / "bng.geojson", None, (330_000, 130_000))  # GeoJSON means WGS84: these are metres
    refused(capsys, "validate", gj, "--council", "E06000066", words="like British National Grid metres")
    points(tmp_path / "bng.shp", None, (330_000, 130_000))
    z = tmp_path / "noprj.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for part in ("shp", "shx", "dbf"):
            zf.write(tmp_path / f"bng.{part}", f"bng.{part}")
    refused(capsys, "validate", z, "--council", "E06000066", words="no coordinate reference system.*EPSG:27700")


def test_parish_areas_outside_the_council(tmp_path, capsys):
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(
        {"PAR24CD": ["E04000001"], "PAR24NM": ["Far away"]},
        geometry=[shapely.box(500_000, 500_000, 501_000, 501_000)],
        crs=27700,
    ).to_file(far, engine="pyogrio")
    args = ("population", "--council", "E06000066", "--level", "parish", "--areas", far, "--out", tmp_path / "o.csv")
    refused(capsys, *args, words="overlaps Somerset")


# --- bad options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--radius-km", "nan", "radius-km.*positive"),
        ("--radius-km", "-1", "radius-km.*positive"),
        ("--target-per-1000", "-5", "target-per-1000.*zero or more"),
        ("--kinds", ",", "kinds.*at least one"),
        ("--kinds", "day_centre,spa", "unknown kind 'spa'"),
        ("--circuity", "0", "circuity"),
        ("--circuity", "0.5", "circuity.*at least 1"),
        ("--as-at", "31/12/2024", "as-at.*YYYY-MM-DD"),
    ],
)
def test_bad_numbers_and_lists_exit_2(tmp_path, capsys, option, value, words):
    f = tmp_path / "p.csv"
    f.write_text(GOOD)
    refused(
        capsys,
        "gaps",
        "--council",
        "E06000066",
        "--providers",
        f,
        option,
        value,
        "--out",
        tmp_path / "g.csv",
        words=words,
    )


def test_an_out_path_that_cannot_be_written(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    refused(capsys, "records", "--council", "E06000066", "--out", blocker / "out.csv", words="not writable")
    refused(
        capsys,
        "records",
        "--council",
        "E06000066",
        "--out",
        tmp_path / "out.xlsx",
        words=r"\.csv or \.geojson or \.gpkg",
    )


def test_a_registry_that_cannot_be_written(tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_text(GOOD)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    refused(capsys, "import", f, "--council", "E06000066", "--registry", blocker / "r.gpkg", words="registry|folder")
    refused(capsys, "import", f, "--council", "E06000066", "--registry", tmp_path, words="is a folder")
    garbage = tmp_path / "garbage.gpkg"
    garbage.write_text("not a geopackage")
    refused(capsys, "import", f, "--council", "E06000066", "--registry", garbage, words="could not be read")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_a_read_only_registry_file(tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_text(GOOD)
    reg = tmp_path / "r.gpkg"
    assert cli(capsys, "import", f, "--council", "E06000066", "--registry", reg)[0] == 0
    reg.chmod(0o400)
    refused(capsys, "import", f, "--council", "E06000066", "--registry", reg, words="read-only")


# --- the records command -------------------------------------------------------------------------


def test_records_exports_the_saved_records_privately(tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_text(GOOD)
    reg = tmp_path / "home" / "r.gpkg"
    refused(
        capsys,
        "records",
        "--council",
        "E06000066",
        "--registry",
        reg,
        "--out",
        tmp_path / "x.csv",
        words="no saved records",
    )
    assert cli(capsys, "import", f, "--council", "Somerset", "--registry", reg, "--by", "Ann")[0] == 0
    assert reg.stat().st_mode & 0o777 == 0o600 and reg.parent.stat().st_mode & 0o777 == 0o700
    for suffix in ("csv", "geojson", "gpkg"):
        out = tmp_path / "out" / f"somerset.{suffix}"
        status, err = cli(capsys, "records", "--council", "E06000066", "--registry", reg, "--out", out)
        assert status == 0 and "2 saved providers" in err
        assert out.stat().st_mode & 0o777 == 0o600
        table = pd.read_csv(out, encoding="utf-8-sig") if suffix == "csv" else gpd.read_file(out, engine="pyogrio")
        assert sorted(table["id"]) == ["A1", "A2"] and set(table.imported_by) == {"Ann"}
        assert "data_note" not in table  # real records, not the sample
    assert not list((tmp_path / "out").glob(".gapmap-tmp-*"))  # nothing left beside the outputs
    refused(
        capsys,
        "records",
        "--council",
        "Somersett",
        "--registry",
        reg,
        "--out",
        tmp_path / "x.csv",
        words="did you mean",
    )


def test_records_of_the_saved_sample_are_labelled(tmp_path, capsys):
    from tests.test_gaps import SAMPLE

    reg = tmp_path / "r.gpkg"
    cli(capsys, "import", SAMPLE, "--council", "E06000066", "--registry", reg)
    out = tmp_path / "s.csv"
    status, err = cli(capsys, "records", "--council", "E06000066", "--registry", reg, "--out", out)
    assert status == 0 and "illustrative sample" in err
    assert set(pd.read_csv(out, encoding="utf-8-sig").data_note) == {"Illustrative sample — not real providers"}


@pytest.mark.slow
def test_two_cli_imports_at_once_both_land(tmp_path):
    reg = tmp_path / "r.gpkg"
    files = []
    for name, rows in (("a", "A1,TA1 1AA\nA2,TA1 4LH\n"), ("b", "B1,TA1 1AA\n")):
        files.append(tmp_path / f"{name}.csv")
        files[-1].write_text("id,postcode\n" + rows)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gapmap", "import", str(f), "--council", council, "--registry", str(reg)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f, council in zip(files, ("E06000066", "E06000024"), strict=True)
    ]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    records, log = registry.load(registry.Registry(reg))
    assert sorted(records.id) == ["A1", "A2", "B1"] and len(log) == 2


# --- every council -------------------------------------------------------------------------------


def test_kent_whose_wards_are_not_a_clean_coverage_has_an_outline():
    from gapmap.population import load_council

    kent = load_council("E10000016")
    outline = kent.outline()  # GEOS "found two shells" with coverage_union_all
    assert outline.is_valid and outline.geom_type in ("Polygon", "MultiPolygon")
    assert outline.area == pytest.approx(kent.boundaries["wards"].area.sum(), rel=1e-3)  # wards barely overlap
    assert shapely.contains_xy(outline, 576_000, 155_500)  # Maidstone
    assert not shapely.contains_xy(outline, 530_000, 180_000)  # central London


@pytest.mark.slow
def test_validate_runs_for_every_council(tmp_path, capsys):
    f = tmp_path / "one.csv"
    f.write_text("id,lat,lon\nA1,51.27,0.52\n")  # one provider in Maidstone: inside Kent, outside the rest
    councils = pd.read_csv(ROOT / "data" / "councils.csv")
    failed = {}
    for code in councils.code:
        status = main(["validate", str(f), "--council", code])
        err = capsys.readouterr().err
        if status != 0 or "Traceback" in err:
            failed[code] = err.strip().splitlines()[-1:]
    assert not failed
    assert len(councils) == 317
