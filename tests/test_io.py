import zipfile

import geopandas as gpd
import pytest
import shapely

from gapmap import io
from gapmap.config import BNG, DataPaths
from gapmap.errors import AreaFileError, DataMissingError
from tests.test_real_data import PARISHES


@pytest.fixture
def parishes() -> gpd.GeoDataFrame:
    return gpd.read_file(PARISHES)


def test_geojson_parish_file_is_recognised_and_reprojected():
    areas = io.read_area_file(PARISHES)
    assert areas.columns.tolist() == ["area_code", "area_name", "geometry"]
    assert areas.crs == BNG
    assert areas.area_name.iloc[0] == "Taunton (test parish)"  # PAR23NM, not the Welsh PAR23NMW
    # Back in metres: roughly the 4 km × 4 km square it was drawn as.
    assert areas.geometry.area.iloc[0] == pytest.approx(16e6, rel=0.01)


def test_geopackage_of_another_vintage(tmp_path, parishes):
    path = tmp_path / "parishes.gpkg"
    parishes.rename(columns={"PAR23CD": "PAR24CD", "PAR23NM": "PAR24NM"}).to_crs(BNG).to_file(path)
    areas = io.read_area_file(path)
    assert areas.area_code.tolist() == ["E04099901", "E04099902", "E04099903"]


def test_zipped_shapefile(tmp_path, parishes):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    parishes.to_crs(BNG).to_file(shp_dir / "parishes.shp")
    zpath = tmp_path / "parishes.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f"Parishes_May_2023/{f.name}")
    areas = io.read_area_file(zpath)
    assert len(areas) == 3 and areas.crs == BNG


def test_zip_without_shapefile_is_explained(tmp_path):
    zpath = tmp_path / "nothing.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(AreaFileError, match="no shapefile"):
        io.read_area_file(zpath)


def test_custom_areas_without_parish_columns(tmp_path):
    patches = gpd.GeoDataFrame(
        {"Name": ["Patch one", "Patch two"]},
        geometry=[shapely.box(320000, 120000, 322000, 122000), shapely.box(322000, 120000, 324000, 122000)],
        crs=BNG,
    )
    path = tmp_path / "village_agents.geojson"
    patches.to_file(path)
    areas = io.read_area_file(path)
    assert areas.area_name.tolist() == ["Patch one", "Patch two"]
    assert areas.area_code.tolist() == ["area-1", "area-2"]


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("not,a,map\n1,2,3\n", ".csv", "unsupported file type"),
        ("{ this is not json", ".geojson", "could not be read"),
        ('{"type": "FeatureCollection", "features": []}', ".geojson", "no features"),
        (
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
            '"geometry":{"type":"Point","coordinates":[-3,51]}}]}',
            ".geojson",
            "expected polygons",
        ),
    ],
)
def test_bad_area_files_get_clear_errors(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(AreaFileError, match=message):
        io.read_area_file(path)


def test_duplicate_codes_are_rejected(tmp_path, parishes):
    dup = parishes.assign(PAR23CD="E04000001")
    path = tmp_path / "dup.geojson"
    dup.to_file(path)
    with pytest.raises(AreaFileError, match="more than once"):
        io.read_area_file(path)


def test_missing_data_names_the_rebuild_command(tmp_path):
    with pytest.raises(DataMissingError, match="build_data.py"):
        io.read_councils(DataPaths(tmp_path))


def test_write_new_never_replaces_a_file(tmp_path):
    from gapmap.io import FILE_MODE, write_new

    path = tmp_path / "home" / "secret.key"
    assert write_new(path, b"first") is True
    assert write_new(path, b"second") is False
    assert path.read_bytes() == b"first"
    assert path.stat().st_mode & 0o777 == FILE_MODE
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]  # no temporary left behind
