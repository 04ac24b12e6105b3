import re
from pathlib import Path

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

ROOT = Path(__file__).resolve().parent.parent
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


def embedded(html: str) -> tuple[dict, dict]:
    """The outlines file a hand-out carries, and its one call into map-layers.js."""
    import json

    outlines = re.search(r'<script type="application/json" id="(areas-[0-9a-f]+)">(.*?)</script>', html, re.S)
    call = re.search(r"gapmapAreaValues\(\w+, (\{.*?\})\);\n", html, re.S)
    spec = json.loads(call.group(1))
    assert spec["url"] == "#" + outlines.group(1)  # drawn from the embedded file, never fetched
    return json.loads(outlines.group(2)), spec


def test_map_has_every_ward_with_tooltip_and_legend(wards):
    html = (
        choropleth(wards, Field("pop_65plus", "Aged 65+"), tooltip=[Field("pop_total", "All residents")])
        .get_root()
        .render()
    )
    outlines, spec = embedded(html)
    assert len(outlines["features"]) == len(spec["index"]) == 55
    assert outlines["format"] == "gapmap-outlines" and '"type": "Feature"' not in html  # no GeoJSON
    assert spec["labels"] == ["Aged 65+", "All residents"] and "gapmap-legend" in html
    # Tooltip figures travel as rounded numbers; the browser adds the thousands separators.
    top = wards.sort_values("pop_65plus").iloc[-1]
    k = [f["code"] for f in outlines["features"]].index(top.area_code)
    assert spec["values"][0][k] == round(top.pop_65plus) and spec["digits"][0] == 0


def test_names_are_escaped_in_tooltips():
    areas = gpd.GeoDataFrame(
        {"area_code": ["X1"], "area_name": ["<img src=x onerror=alert(1)>"], "v": [1.0]},
        geometry=[shapely.box(300000, 100000, 301000, 101000)],
        crs=BNG,
    )
    html = choropleth(areas, Field("v", "Value")).get_root().render()
    assert "<img src=x" not in html
    # Inside the embedded outlines "<" and ">" are JSON escapes; the browser escapes the name again
    # when it writes the tooltip (map-layers.js esc()).
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert embedded(html)[0]["features"][0]["name"] == "<img src=x onerror=alert(1)>"
    # Names (and encoded rings, whose characters include "{") pass folium's template pass untouched.
    odd = "{{ 7*7 }} {% endraw %} {# 100% #}"
    html = choropleth(areas.assign(area_name=odd), Field("v", "Value")).get_root().render()
    assert embedded(html)[0]["features"][0]["name"] == odd


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
    # The one larger count is withheld beside the small ones (gapmap.privacy.secondary_cells).
    assert sent["labels"] == ["fewer than 3", "not shown"]
    share = Field("share", "Share", ".1%")
    assert _travelling(share, pd.Series([0.25])) == ["25.0%"]  # formats the browser is not told about
    km = Field("km", "Nearest", ",.1f")
    assert _digits(km, pd.Series([1.26, np.nan])) == 1
    assert _travelling(km, pd.Series([1.26, np.nan, 1234.55])) == [1.3, None, 1234.6]
    assert len(geo.codes) == 55


@pytest.mark.slow
def test_kent_at_lsoa_level_hands_out_in_under_a_megabyte():
    """The largest hand-out the CLI makes for one council: Kent's 938 LSOAs (1.6 MB as GeoJSON)."""
    from gapmap.analysis import AnalysisRequest, analyse
    from gapmap.gap_map import handout_html
    from gapmap.population import load_council
    from gapmap.records import load_providers

    kent = load_council("E10000016")
    sample = ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"
    providers = load_providers(sample).accepted.iloc[:0]  # the outlines and figures are what weigh
    analysis = analyse(kent, providers, AnalysisRequest(level="lsoa"))
    page = handout_html(analysis, privacy="displaced", secret=b"k" * 32, illustrative=False)
    outlines, spec = embedded(page)
    assert len(outlines["features"]) == len(spec["index"]) == 938
    assert len(page.encode("utf-8")) <= 1_000_000
