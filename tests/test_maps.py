import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gapmap.classes import class_breaks
from gapmap.config import BNG
from gapmap.errors import CrsError
from gapmap.maps import Field, choropleth, standalone_html
from gapmap.population import population_by_area

CDN = re.compile(r"(cdn\.jsdelivr|cdnjs|code\.jquery|bootstrapcdn|unpkg|d3js\.org)")


@pytest.fixture
def wards(somerset):
    return population_by_area(somerset, "ward")


def test_map_loads_only_local_leaflet(wards):
    html = choropleth(wards, Field("pop_65plus", "Aged 65+")).get_root().render()
    assert not CDN.search(html)
    assert '<script src="/app/static/vendor/leaflet-1.9.4/leaflet.js"></script>' in html
    assert "tile.openstreetmap.org" not in html
    with_tiles = choropleth(wards, Field("pop_65plus", "Aged 65+"), basemap=True).get_root().render()
    assert "tile.openstreetmap.org" in with_tiles


def test_map_has_every_ward_with_tooltip_and_legend(wards):
    html = (
        choropleth(wards, Field("pop_65plus", "Aged 65+"), tooltip=[Field("pop_total", "All residents")])
        .get_root()
        .render()
    )
    assert html.count('"type": "Feature"') == 55
    assert "Aged 65+" in html and "All residents" in html and "gapmap-legend" in html
    # Tooltip values are pre-formatted with thousands separators.
    top = wards.sort_values("pop_65plus").iloc[-1]
    assert f"{top.pop_65plus:,.0f}" in html


def test_names_are_escaped_in_tooltips():
    areas = gpd.GeoDataFrame(
        {"area_code": ["X1"], "area_name": ["<img src=x onerror=alert(1)>"], "v": [1.0]},
        geometry=[shapely.box(300000, 100000, 301000, 101000)],
        crs=BNG,
    )
    html = choropleth(areas, Field("v", "Value")).get_root().render()
    assert "<img src=x" not in html
    # Folium writes "&" as \u0026 inside the embedded GeoJSON.
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html


def test_map_needs_a_crs():
    areas = gpd.GeoDataFrame({"area_code": ["a"], "area_name": ["a"], "v": [1]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(CrsError):
        choropleth(areas, Field("v", "Value"))


def test_class_breaks_are_increasing_and_cover_the_range():
    values = pd.Series([1, 1, 1, 2, 3, 5, 8, 13, 21, None])
    breaks = class_breaks(values, 5)
    assert breaks == sorted(set(breaks)) and breaks[-1] == 21
    assert class_breaks(pd.Series([None], dtype=float)) == []


def test_standalone_html_inlines_leaflet(wards):
    page = standalone_html(choropleth(wards, Field("pop_85plus", "Aged 85+")))
    assert "/app/static" not in page
    assert "Leaflet" in page and "L.map(" in page
    assert not CDN.search(page)


def test_legend_classes_are_in_the_measures_unit():
    areas = gpd.GeoDataFrame(
        {"area_code": list("abcdef"), "area_name": list("abcdef"), "v": [0.2, 0.4, 0.6, 0.8, 1.1, 1.4]},
        geometry=[shapely.box(300000 + i * 1000, 100000, 301000 + i * 1000, 101000) for i in range(6)],
        crs=BNG,
    )

    def rows(fmt):
        html = choropleth(areas, Field("v", "People 85+", fmt)).get_root().render()
        return re.findall(r"</i>(.*?)</span>", html[html.index('class="gapmap-legend"') :])

    # People are counted whole: 0.2 and 0.4 people are shown as 0, the rest as 1 (no "0.00 – 0.00").
    assert rows(",.0f") == ["0", "1"]
    # In tenths (km), each class runs from the first tenth it holds to its last.
    tenths = rows(",.1f")
    assert tenths[0].startswith("0.2") and tenths[-1].endswith("1.4") and len(set(tenths)) == len(tenths)


def test_every_map_carries_the_attribution(wards):
    page = standalone_html(choropleth(wards, Field("pop_total", "Residents")))
    assert "Contains OS data © Crown copyright and database right 2025" in page
    assert "Royal Mail data © Royal Mail copyright" in page and "MHCLG" in page


def test_live_layer_sends_values_not_geometry(wards):
    import json as _json

    from gapmap.geometry_cache import display_geometry
    from gapmap.maps import area_values

    geo = display_geometry(wards)
    url = "/app/static/cache/x.polylines.json"
    function, spec = area_values(url, geo.codes, wards, Field("pop_65plus", "Aged 65+"))
    sent = _json.dumps([function, spec])  # what the live map receives
    assert function == "gapmapAreaValues" and spec["url"] == url
    # The outlines come from the URL: no coordinates, and none of the file's encoded rings.
    rings = [r for f in _json.loads(geo.payload)["features"] for p in f["polygons"] for r in p]
    assert '"coordinates"' not in sent and not any(r in sent for r in rings if len(r) > 12)
    # One colour index per feature, in the file's order; the darkest class holds the largest ward.
    assert len(spec["index"]) == len(geo.codes) == 55
    top = geo.codes.index(wards.sort_values("pop_65plus").area_code.iloc[-1])
    assert spec["palette"][spec["index"][top]] == "#800026"
    # Numbers travel as numbers (shorter than their text) with the decimals the browser shows.
    assert spec["digits"][0] == 0 and spec["values"][0][top] == round(wards.pop_65plus.max())


def test_live_layer_sends_text_where_a_column_is_not_plain_numbers(wards):
    from gapmap.geometry_cache import display_geometry
    from gapmap.maps import _digits, _travelling
    from gapmap.privacy import suppress_counts

    geo = display_geometry(wards)
    counts = suppress_counts(pd.Series([0, 1, 2, 5, 40], dtype=float))
    field = Field("n", "Micro-enterprises here")
    assert _digits(field, counts) is None  # "fewer than 3" stays text, as Field.format writes it
    assert _travelling(field, counts) == [field.format(v) for v in counts]
    # Text with few distinct values travels once, with an index per area.
    many = suppress_counts(pd.Series([1.0, 2.0, 0.0, 1.0] * 10 + [7.0]))
    sent = _travelling(field, many)
    assert [sent["labels"][k] for k in sent["codes"]] == [field.format(v) for v in many]
    assert sent["labels"] == ["fewer than 3", "7"]
    share = Field("share", "Share", ".1%")
    assert _travelling(share, pd.Series([0.25])) == ["25.0%"]  # formats the browser is not told about
    km = Field("km", "Nearest", ",.1f")
    assert _digits(km, pd.Series([1.26, np.nan])) == 1
    assert _travelling(km, pd.Series([1.26, np.nan, 1234.55])) == [1.3, None, 1234.6]
    assert len(geo.codes) == 55

