"""Legend classes in the measure's unit: never empty, never zero-width, the same everywhere."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapmap.classes import NO_DATA, classify, unit_of
from gapmap.figures import MapLayer, map_figure
from gapmap.maps import Field, area_legend_html, change_breaks

FORMATS = (",.0f", ",.1f", "+,.1f", ".0%")


def parse(text: str, fmt: str) -> float:
    """A number as a legend writes it, back to a float."""
    t = text.replace(",", "").replace("+", "")
    return float(t.rstrip("%")) / 100 if fmt.endswith("%") else float(t)


def ranges(labels: list[str], fmt: str) -> list[tuple[float, float]]:
    out = []
    for label in labels:
        parts = label.split(" – ")
        assert len(parts) in (1, 2), label
        lo, hi = parse(parts[0], fmt), parse(parts[-1], fmt)
        out.append((lo, hi))
    return out


def check(values: pd.Series, fmt: str, classes) -> None:
    """Every property the legend promises, for one set of values."""
    unit = unit_of(fmt)
    rows = [text for colour, text in classes.legend(fmt) if colour != NO_DATA]
    assert rows, "a legend with no class"
    assert all(r.strip() for r in rows)
    assert not [r for r in rows if "over" in r or re.fullmatch(r"(.+) – \1", r)]  # no "0.00 – 0.00"
    assert not [r for r in rows if re.search(r"\.\d\d\d", r)]  # never more decimals than the unit
    spans = ranges(rows, fmt)
    for (lo, hi), (lo2, _) in zip(spans, spans[1:], strict=False):
        assert lo <= hi < lo2  # increasing, no overlap
        assert lo2 == pytest.approx(hi + unit)  # no gap: the next class starts one unit on
    # Each area's colour is the class whose range holds the value as it is shown.
    colours = [c for c, _ in classes.legend(fmt)]
    for v in values.dropna():
        shown = parse(format(v, fmt), fmt)
        i = colours.index(classes.colour(v))
        lo, hi = spans[i]
        assert lo - 1e-9 <= shown <= hi + 1e-9, (v, shown, rows[i])


values_strategy = st.lists(
    st.one_of(st.floats(0, 5000, allow_nan=False), st.sampled_from([0.0, 0.0, 0.004, 0.49, 36.56])),
    min_size=1,
    max_size=80,
)


@given(values_strategy, st.sampled_from(FORMATS), st.integers(2, 7))
@settings(max_examples=150, deadline=None)
def test_legend_classes_are_never_empty_and_hold_what_they_say(values, fmt, n):
    s = pd.Series(values) / (1000 if fmt.endswith("%") else 1)
    classes = classify(s, n, fmt=fmt)
    check(s, fmt, classes)
    # Without breaks given, every class holds at least one area.
    used = {classes.colour(v) for v in s}
    assert used == set(classes.colours)


@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=60))
@settings(max_examples=100, deadline=None)
def test_a_signed_difference_gets_no_change_as_its_own_class(values):
    s = pd.Series(values)
    breaks = change_breaks(s, fmt="+,.1f")
    if breaks is None:  # nothing changed by a tenth or more
        assert (s.abs() < 0.05 + 1e-9).all()
        return
    classes = classify(s, breaks=breaks, fmt="+,.1f")
    check(s, "+,.1f", classes)
    rows = [t for _, t in classes.legend("+,.1f")]
    assert "0.0" in rows and "+0.0" not in " ".join(rows)


def test_counts_of_people_read_in_whole_people():
    # The plan map's case: most areas have nobody beyond the radius, a few have fractions of people.
    s = pd.Series([0.0] * 30 + [0.003, 0.2, 12.4, 36.56, 80.2, 140.0, 300.7])
    rows = [t for _, t in classify(s, 6, fmt=",.0f").legend(",.0f")]
    assert rows[0] == "0"
    assert not [r for r in rows if "." in r]
    assert rows[-1].endswith("301")


def test_the_closures_difference_reads_no_change_not_plus_zero():
    s = pd.Series([0.0] * 40 + [0.02, 0.04, 0.06, 0.3, 1.2, 2.5])
    breaks = change_breaks(s, fmt="+,.1f")
    rows = [t for _, t in classify(s, breaks=breaks, fmt="+,.1f").legend("+,.1f")]
    assert rows[0] == "0.0" and rows[1].startswith("+0.1")
    assert not [r for r in rows if "over" in r]


def test_the_app_legend_and_the_printed_map_have_the_same_classes():
    import geopandas as gpd
    import shapely

    v = [0.0, 0.0, 0.003, 4.6, 12.4, 36.56, 80.2, 140.0]
    areas = gpd.GeoDataFrame(
        {"area_code": [f"A{i}" for i in range(len(v))], "area_name": [f"Area {i}" for i in range(len(v))], "v": v},
        geometry=[shapely.box(300000 + i * 1000, 100000, 301000 + i * 1000, 101000) for i in range(len(v))],
        crs="EPSG:27700",
    )
    app = re.findall(r"</i>(.*?)</div>", area_legend_html(areas, Field("v", "People beyond 5 km")))
    fig = map_figure(areas, MapLayer("v", "People beyond 5 km"), title="t")
    texts = [t.get_text() for ax in fig.axes for leg in [ax.get_legend()] if leg for t in leg.get_texts()]
    assert app and [t for t in texts if t in app] == app  # the picture (slides, PDF, PNG) says the same
    assert np.all([not re.search(r"\d\.\d", t) for t in app])  # whole people


def test_minutes_by_road_use_fixed_15_30_45_60_minute_bands():
    from gapmap.classes import MINUTE_BANDS, MINUTES_FORMAT, minute_breaks

    assert MINUTE_BANDS == (15.0, 30.0, 45.0, 60.0)
    # Everyone within the hour: the four bands, however the values fall (maps compare).
    assert minute_breaks(pd.Series([3.0, 7.2, 22.0])) == [15.0, 30.0, 45.0, 60.0]
    assert minute_breaks(pd.Series([np.nan, np.nan])) == [15.0, 30.0, 45.0, 60.0]
    # Further than an hour: a fifth class, over 60 minutes, up to the largest value (in whole minutes).
    s = pd.Series([3.0, 15.0, 15.4, 16.0, 30.0, 44.6, 60.0, 61.0, 72.4, np.nan])
    breaks = minute_breaks(s)
    assert breaks == [15.0, 30.0, 45.0, 60.0, 72.0]
    c = classify(s, breaks=breaks, fmt=MINUTES_FORMAT)
    band = [c.colours.index(c.colour(v)) for v in s.iloc[:-1]]
    assert band == [0, 0, 0, 1, 1, 2, 3, 4, 4]  # 15 (and 15.4, shown as 15) is in "up to 15"
    rows = [t for _, t in c.legend(MINUTES_FORMAT)]
    assert rows[:5] == ["3 – 15", "16 – 30", "31 – 45", "46 – 60", "61 – 72"]


def test_the_nearest_provider_by_road_is_mapped_in_minute_bands(tmp_path, grid_wards):
    """gap_map_parts (the gaps page and its hand-out) maps minutes by road in the fixed bands; km as before."""
    from dataclasses import replace
    from datetime import date

    import geopandas as gpd
    import shapely

    from gapmap.analysis import AnalysisRequest, analyse, zones_for
    from gapmap.councils import Council
    from gapmap.gap_map import gap_legend_html, gap_map_parts
    from gapmap.population import CouncilData
    from gapmap.roads import ByRoad, RoadSettings, build_network
    from tests.conftest import make_points
    from tests.osm_synth import grid, write_extract

    # Three people in a 2 km block, one day centre; residential streets every 500 m (2 minutes a km).
    pts = make_points(np.array([[100, 100], [900, 100], [1900, 1900]]), ["A", "A", "B"])
    data = CouncilData(council=Council("E99999999", "Tinyshire", "upper"), points=pts, boundaries={"wards": grid_wards})
    providers = gpd.GeoDataFrame(
        {"id": ["P1"], "name": ["P1"], "kind": ["day_centre"], "capacity": [10.0],
         "start_date": [pd.Timestamp("2000-01-01")], "end_date": [pd.NaT]},
        geometry=[shapely.Point(0, 100)], crs="EPSG:27700",
    )  # fmt: skip
    nodes, ways = grid(-1000, -1000, 9, 9, 500.0)
    net = build_network(
        write_extract(tmp_path / "t.osm.pbf", nodes, ways), "E99999999", shapely.box(0, 0, 2000, 2000),
        settings=RoadSettings(buffer_km=1),
    )  # fmt: skip
    straight = AnalysisRequest(band="85plus", radius_km=5.0, kinds=("day_centre",), level="parish",
                               as_at=date(2024, 1, 1))  # fmt: skip
    zones = zones_for(data, "parish", areas=grid_wards)

    def parts(request):
        result = analyse(data, providers, request, zones=zones)
        return result, gap_map_parts(result, "nearest_km", privacy="exact", secret=b"k" * 32, illustrative=False)

    result, by_road = parts(replace(straight, radius_km=15.0, roads=ByRoad(net)))
    minutes = result.areas.nearest_km.dropna()
    assert 0 < minutes.max() < 15  # everyone within a quarter of an hour: still the four fixed bands
    assert by_road.breaks == (15.0, 30.0, 45.0, 60.0)
    assert by_road.field.label == "Minutes by road to the nearest support" and by_road.field.fmt == ",.0f"
    rows = re.findall(r"</i>(.*?)</div>", gap_legend_html(by_road))
    assert rows[1:4] == ["16 – 30", "31 – 45", "46 – 60"] and rows[0].endswith(" – 15")
    _, in_km = parts(straight)
    assert in_km.breaks is None and in_km.field.fmt == ",.1f"  # the straight line keeps its quantile classes
