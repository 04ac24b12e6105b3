"""Map alternatives (issue #21): places typed instead of clicked, the area table, the statement."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gapmap.accessibility import KNOWN_ISSUES, STATEMENT
from gapmap.alternatives import area_table_html, picture_alt_text
from gapmap.config import BNG
from gapmap.maps import Field, choropleth, standalone_html
from gapmap.places import PlaceNotFoundError, find_place

ROOT = Path(__file__).resolve().parent.parent


def test_a_postcode_is_placed_at_its_own_grid_reference(somerset):
    row = somerset.points.iloc[100]
    typed = row.postcode.lower().replace(" ", "")  # as someone might type it
    place = find_place(somerset, f"  {typed} ")
    assert place.label == row.postcode
    assert (place.easting, place.northing) == (float(row.easting), float(row.northing))


def test_a_postcode_elsewhere_is_refused_by_name(somerset):
    with pytest.raises(PlaceNotFoundError, match="SW1A 1AA is not a postcode in Somerset"):
        find_place(somerset, "sw1a 1aa")


def test_a_ward_name_places_the_site_inside_that_ward(somerset):
    wards = somerset.boundaries["wards"]
    ward = wards.iloc[7]
    for typed in (ward.area_name, ward.area_name.upper()):
        place = find_place(somerset, typed)
        assert place.label == ward.area_name
        assert ward.geometry.contains(shapely.Point(place.easting, place.northing))


def test_part_of_a_name_is_enough_only_when_it_is_unique(somerset):
    names = somerset.boundaries["wards"].area_name
    unique = next(n for n in names if sum(n.split()[0].lower() in m.lower() for m in names) == 1)
    assert find_place(somerset, unique.split()[0].lower()).label == unique
    with pytest.raises(PlaceNotFoundError, match="matches .* wards"):
        find_place(somerset, "a")  # in many names
    for nothing in ("", "   ", "Atlantis"):
        with pytest.raises(PlaceNotFoundError):
            find_place(somerset, nothing)


def _wards() -> gpd.GeoDataFrame:
    boxes = [shapely.box(x, 0, x + 1000, 1000) for x in (0, 1000, 2000)]
    return gpd.GeoDataFrame(
        {
            "area_code": ["A", "B", "C"],
            "area_name": ["Zed <b>ward</b>", "Avon", "Mere"],
            "people": [1200.0, 35.0, float("nan")],
            "note": ["fewer than 3", "4", "–"],
        },
        geometry=boxes,
        crs=BNG,
    )


def test_the_area_table_lists_every_area_with_sortable_headings():
    block = area_table_html(
        _wards(), [("people", "People aged 75+", ",.0f"), ("note", "Micro", "")], caption="Aged 75+"
    )
    rows = re.findall(r"<tr><th scope=\"row\"[^>]*>([^<]*)</th>", block)
    assert rows == ["Avon", "Mere", "Zed &lt;b&gt;ward&lt;/b&gt;"]  # by name, escaped, every area
    assert block.count('<th scope="col"><button type="button">') == 3  # Area and two figures
    assert '<td data-v="1200.0">1,200</td>' in block and '<td data-v="">–</td>' in block
    assert "all 3 areas as a table" in block and "<b>ward</b>" not in block


def test_the_html_handout_has_a_language_a_title_zoom_and_the_table():
    page = standalone_html(choropleth(_wards(), Field("people", "People aged 75+")))
    assert '<html lang="en-GB">' in page
    assert "<title>People aged 75+ (gapmap)</title>" in page
    assert "user-scalable=no" not in page and "maximum-scale" not in page
    assert "all 3 areas as a table" in page
    assert "aria-label" in page and "'role', 'region'" in page  # the map is a named region


def test_picture_alt_text_says_what_the_map_shows_and_its_takeaway():
    alt = picture_alt_text("Where care is short", "1 in 4 people live far from support.", "People beyond 5 km")
    assert alt == "Map: Where care is short. People beyond 5 km. 1 in 4 people live far from support."


def test_the_statement_follows_the_model_and_the_readme_carries_it():
    for heading in (
        "How accessible this tool is",
        "Feedback and contact information",
        "Reporting accessibility problems",
        "Enforcement procedure",
        "Compliance status",
        "Non-compliance with the accessibility regulations",
        "Preparation of this accessibility statement",
    ):
        assert heading in STATEMENT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Accessibility statement" in readme
    for problem, _ in KNOWN_ISSUES:  # the README says what the app says
        assert problem in readme and problem in STATEMENT
