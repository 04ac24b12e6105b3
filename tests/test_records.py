"""Reading council record files in every supported format, and the validate/import CLI."""

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gapmap import io, registry
from gapmap.cli import main
from gapmap.config import BNG
from gapmap.errors import ProviderFileError
from gapmap.records import load_providers

DATA = Path(__file__).parent / "data"
MESSY = DATA / "messy_providers.csv"
CSV_TEXT = "Post Code,Name,Capacity,Start\nta11aa,Café Companions,8,03/04/2019\nTA1 4LH,Bob's Help,5,Jan 2020\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "p.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    table = io.read_record_table(path)
    assert table.columns.tolist() == ["Post Code", "Name", "Capacity", "Start"]
    assert table.Name.iloc[0] == "Café Companions"  # not "CafÃ©" nor "Caf\ufffd"


def test_semicolon_separated_csv(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(CSV_TEXT.replace(",", ";"))
    assert io.read_record_table(path).columns.tolist() == ["Post Code", "Name", "Capacity", "Start"]


def test_xlsx_keeps_dates_and_reads_numbers(tmp_path):
    path = tmp_path / "p.xlsx"
    pd.DataFrame(
        {
            "Postcode": ["TA1 1AA", "TA1 4LH"],
            "Provider Name": ["A", "B"],
            "Capacity": [12, 7],
            "Start Date": pd.to_datetime(["2019-04-03", "2020-01-31"]),
        }
    ).to_excel(path, index=False)
    r = load_providers(path)
    assert not r.rejected
    assert r.accepted.start_date.tolist() == [pd.Timestamp("2019-04-03"), pd.Timestamp("2020-01-31")]
    assert r.accepted.capacity.tolist() == [12.0, 7.0]


def test_geojson_and_geopackage_points(tmp_path):
    pts = gpd.GeoDataFrame(
        {"id": ["a", "b"], "name": ["A", "B"], "kind": ["day centre", "micro"]},
        geometry=[shapely.Point(-3.101, 51.015), shapely.Point(-2.6, 51.2)],
        crs=4326,
    )
    for name in ("p.geojson", "p.gpkg"):
        path = tmp_path / name
        pts.to_file(path)
        r = load_providers(path)
        assert r.accepted.id.tolist() == ["a", "b"] and not r.rejected
        assert r.accepted.located_by.tolist() == ["easting/northing"] * 2
        assert r.accepted.easting.iloc[0] == pytest.approx(322_900, abs=1500)


def test_zipped_shapefile_of_points(tmp_path):
    pts = gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.Point(330_000, 130_000)], crs=BNG)
    (tmp_path / "shp").mkdir()
    pts.to_file(tmp_path / "shp" / "providers.shp")
    z = tmp_path / "providers.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in (tmp_path / "shp").iterdir():
            zf.write(f, f.name)
    r = load_providers(z)
    assert r.accepted.easting.tolist() == [330_000]


def test_zip_without_shapefile(tmp_path):
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("providers.csv", CSV_TEXT)
    with pytest.raises(ProviderFileError, match="no shapefile"):
        io.read_record_table(z)


def test_zip_bomb_is_refused(tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * (60 * 2**20))  # 60 MB of zeros packs to ~60 KB
    assert z.stat().st_size < 2**20
    with pytest.raises(ProviderFileError, match="zip bomb"):
        io.read_record_table(z)


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(CSV_TEXT)
    with pytest.raises(ProviderFileError, match="over the"):
        io.read_record_table(path, max_bytes=10)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("p.docx", b"x", "unsupported file type"),
        ("p.csv", b"", "empty"),
        ("p.xlsx", b"not a workbook", "Excel"),
    ],
)
def test_unreadable_files(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ProviderFileError, match=words):
        io.read_record_table(path)


def test_messy_file_keeps_every_good_row():
    r = load_providers(MESSY)
    assert r.accepted.id.tolist() == ["M1", "M6", "M7", "M9"]
    assert r.accepted.name.tolist()[:2] == ["Café Companions", "Linked Help"]
    assert [(p.row, p.field) for p in r.rejected] == [
        (3, "lat"),
        (4, "postcode"),
        (5, "capacity"),
        (7, "end_date"),
        (9, "id"),
        (11, "lat"),
    ]
    assert r.rejected_rows.row.tolist() == [3, 4, 5, 7, 9, 11]
    assert "Ref" in r.rejected_rows.columns and "reason" in r.rejected_rows.columns


def test_validate_cli_json_and_exit_codes(tmp_path, capsys):
    assert main(["validate", str(MESSY), "--council", "E06000066", "--kind", "providers", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == 4 and len(report["rejected"]) == 6
    assert report["rejected"][0] == {
        "row": 3,
        "field": "lat",
        "problem": "latitude -2.95 and longitude 51.2 look swapped",
        "fix": "swap the two columns: latitude is about 50–56 in England, longitude about -6 to 2",
    }
    good = tmp_path / "good.csv"
    good.write_text(CSV_TEXT)
    assert main(["validate", str(good), "--council", "E06000066", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rejected"] == []
    bad = tmp_path / "bad.csv"
    bad.write_text("name,capacity\nA,3\n")
    assert main(["validate", str(bad), "--council", "E06000066", "--json"]) == 2
    assert "no location column" in json.loads(capsys.readouterr().out)["error"]


def test_closures_need_an_end_date(tmp_path):
    path = tmp_path / "closures.csv"
    path.write_text("name,postcode,closed\nOld centre,TA1 1AA,31/03/2016\nStill open?,TA1 4LH,\n")
    r = load_providers(path, kind="closures")
    assert r.accepted.kind.tolist() == ["day_centre"]
    assert [(p.row, p.field) for p in r.rejected] == [(3, "end_date")]


def test_import_cli_saves_to_the_registry(tmp_path, capsys):
    reg = tmp_path / "reg.gpkg"
    args = ["import", str(MESSY), "--council", "E06000066", "--registry", str(reg), "--by", "Test User"]
    # 6 of 10 rows rejected: a replace is refused unless forced, and nothing is written.
    assert main(args) == 2
    assert "add --force" in capsys.readouterr().err.splitlines()[-1] and not reg.exists()
    assert main([*args, "--force"]) == 1  # some rows rejected, the good ones saved
    records, log = registry.load(registry.Registry(reg))
    assert sorted(records.id) == ["M1", "M6", "M7", "M9"]
    assert set(records.imported_by) == {"Test User"} and set(records.council_code) == {"E06000066"}
    assert log.accepted.tolist() == [4] and log.rejected.tolist() == [6]
    assert "saved: Somerset now has 4 providers" in capsys.readouterr().err


def test_zip_with_a_path_outside_its_folder_is_refused(tmp_path):
    z = tmp_path / "slip.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../evil.shp", b"x")
    with pytest.raises(ProviderFileError, match="outside its own folder"):
        io.read_record_table(z)
    assert not (tmp_path.parent / "evil.shp").exists()
