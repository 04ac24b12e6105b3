"""The outlines file the app's map fetches: compact, lossless at 1e-5 degree, and small enough."""

import json
import re
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gapmap.config import BNG, WGS84, DataPaths
from gapmap.errors import AreaFileError, CrsError
from gapmap.geometry_cache import decode_outlines, display_geometry, publish
from gapmap.maps import MAP_SCRIPT, SCRIPT_DIR
from gapmap.population import population_by_area

MB = 1_000_000


def rounded(frame: gpd.GeoDataFrame) -> np.ndarray:
    """What the file promises: the outlines in WGS84 on the 1e-5 degree grid."""
    return shapely.set_precision(frame.geometry.to_crs(WGS84).values, 1e-5)


def assert_round_trip(frame: gpd.GeoDataFrame) -> dict:
    geo = display_geometry(frame)
    collection = decode_outlines(geo.payload)
    features = collection["features"]
    assert [f["properties"]["code"] for f in features] == list(geo.codes) == list(frame.area_code)
    assert [f["properties"]["name"] for f in features] == list(frame.area_name)
    for want, f in zip(rounded(frame), features, strict=True):
        got = shapely.geometry.shape(f["geometry"])
        assert shapely.get_num_geometries(got) == shapely.get_num_geometries(want)
        assert shapely.get_num_coordinates(got) == shapely.get_num_coordinates(want)
        # Same rings, same vertices in the same order, within the file's 1e-5 degree grid.
        assert np.abs(shapely.get_coordinates(got) - shapely.get_coordinates(want)).max() <= 1e-5 + 1e-12
        assert shapely.equals(got, want)
    return collection


@pytest.fixture
def holes_and_islands() -> gpd.GeoDataFrame:
    """A ward with a hole, the ward filling it, and a ward in two parts (hand-made, metres)."""
    outer = shapely.box(400_000, 300_000, 403_000, 303_000)
    inner = shapely.box(401_000, 301_000, 402_000, 302_000)
    islands = shapely.MultiPolygon(
        [shapely.box(404_000, 300_000, 404_500, 300_500), shapely.box(405_000, 300_000, 405_500, 300_700)]
    )
    return gpd.GeoDataFrame(
        {
            "area_code": ["E05000003", "E05000001", "E05000002"],
            "area_name": ['Ring & "Round" <b>', "Middle", "Ynysoedd — Llŷn"],
        },
        geometry=[outer.difference(inner), inner, islands],
        crs=BNG,
    )


def test_hand_made_outlines_round_trip_with_holes_parts_and_awkward_names(holes_and_islands):
    features = assert_round_trip(holes_and_islands)["features"]
    assert [f["geometry"]["type"] for f in features] == ["Polygon", "Polygon", "MultiPolygon"]
    assert len(features[0]["geometry"]["coordinates"]) == 2  # outer ring and the hole
    ring = features[1]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5  # closed again after decoding
    # Names travel as JSON data, never as markup: the browser escapes them when it shows them.
    assert json.loads(display_geometry(holes_and_islands).payload)["features"][0]["name"] == 'Ring & "Round" <b>'


def test_somerset_ward_outlines_round_trip_and_are_compact(somerset):
    wards = population_by_area(somerset, "ward")[["area_code", "area_name", "geometry"]]
    assert_round_trip(wards)
    geo = display_geometry(wards)
    as_geojson = gpd.GeoDataFrame(geometry=rounded(wards), crs=WGS84).to_json(drop_id=True)
    assert len(geo.payload) < len(as_geojson) / 3


def test_file_holds_codes_names_and_polylines_only(somerset):
    wards = population_by_area(somerset, "ward")
    geo = display_geometry(wards)  # a frame with every population column: none of them is written
    doc = json.loads(geo.payload)
    assert {k for f in doc["features"] for k in f} == {"code", "name", "polygons"}
    assert set(doc) == {"format", "version", "precision", "features"}
    assert not re.search(rb"\d\.\d", geo.payload)  # no plain coordinates: every ring is encoded
    # Content-hashed: the same outlines give the same name; a change gives another.
    assert geo.name.startswith("areas-") and geo.name.endswith(".polylines.json")
    assert display_geometry(wards).name == geo.name
    assert display_geometry(wards.iloc[:-1]).name != geo.name


def test_publish_writes_once_under_the_hashed_name(tmp_path, grid_wards):
    geo = display_geometry(grid_wards)
    path = publish(geo, tmp_path)
    assert path.name == geo.name and path.read_bytes() == geo.payload
    assert decode_outlines(path.read_bytes())["features"][0]["properties"]["code"] == "SW"


def test_bad_input_raises_typed_errors(grid_wards):
    with pytest.raises(CrsError):
        display_geometry(grid_wards.set_crs(None, allow_override=True))
    with pytest.raises(AreaFileError):
        decode_outlines(b'{"type": "FeatureCollection", "features": []}')
    with pytest.raises(AreaFileError):
        decode_outlines(
            b'{"format": "gapmap-outlines", "features": [{"code": "a", "name": "A", "polygons": [["_p~"]]}]}'
        )


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the browser's decoder")
def test_the_browsers_decoder_gives_what_python_decodes(holes_and_islands, somerset):
    wards = population_by_area(somerset, "ward")[["area_code", "area_name", "geometry"]]
    for frame in (holes_and_islands, wards):
        geo = display_geometry(frame)
        # The decoder as the page ships it (static/gapmap/map-layers.js), run on the file.
        program = (
            f"const {{toGeoJSON}} = require({json.dumps(str(SCRIPT_DIR / MAP_SCRIPT))});"
            "process.stdout.write(JSON.stringify(toGeoJSON(JSON.parse(require('fs').readFileSync(0, 'utf8')))));"
        )
        out = subprocess.run(["node", "-e", program], input=geo.payload, capture_output=True, check=True, timeout=60)
        assert json.loads(out.stdout) == decode_outlines(geo.payload)


@pytest.mark.slow
def test_every_upper_tier_councils_lsoa_file_is_at_most_1_mb():
    lsoa = gpd.read_parquet(DataPaths().boundaries("lsoa"))
    sizes = {
        utla: len(display_geometry(group[["area_code", "area_name", "geometry"]]).payload)
        for utla, group in lsoa.groupby("utla_code")
    }
    assert len(sizes) > 140
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] <= MB, f"{largest}: {sizes[largest] / MB:.2f} MB"
    essex = lsoa[lsoa.utla_code == "E10000012"][["area_code", "area_name", "geometry"]]
    assert_round_trip(essex)
