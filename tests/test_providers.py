"""Provider validation: every bad-input case gives a row, a field, a problem and a fix."""

from datetime import date

import pandas as pd
import pytest
import shapely

from gapmap.cells import normalise_postcode, parse_date
from gapmap.errors import ProviderFileError
from gapmap.schema import map_columns
from gapmap.supply import active_at
from gapmap.validate import validate_providers

POSTCODES = pd.DataFrame(
    {"postcode": ["TA1 1AA", "BA4 5AA"], "easting": [322_000, 362_000], "northing": [124_000, 143_000]}
)
SOMERSET_BOX = shapely.box(270_000, 100_000, 380_000, 160_000)


def check(rows, columns=None, **kw):
    table = pd.DataFrame(rows, columns=columns)
    return validate_providers(table, postcodes=POSTCODES, council_area=SOMERSET_BOX, **kw)


def only_problem(result):
    assert len(result.rejected) == 1, result.rejected
    return result.rejected[0]


def test_header_variants_and_postcode_spelling():
    cols = ["Provider Ref", "Business Name", "Type", "Post Code", "People supported", "Start", "Closed"]
    r = check(
        [
            ["A1", "Ann's Help", "Micro-enterprise", "ta11aa", "12", "31/01/2024", ""],
            ["A2", "Hub", "Day Centre", " BA4 5AA ", "30", "Jan 2010", "2024-03-31"],
        ],
        cols,
    )
    assert r.mapping == {
        "id": "Provider Ref",
        "name": "Business Name",
        "kind": "Type",
        "postcode": "Post Code",
        "capacity": "People supported",
        "start_date": "Start",
        "end_date": "Closed",
    }
    assert not r.rejected
    a = r.accepted
    assert a.kind.tolist() == ["micro_enterprise", "day_centre"]
    assert a.postcode.tolist() == ["TA1 1AA", "BA4 5AA"]
    assert a.easting.tolist() == [322_000, 362_000]
    assert a.start_date.tolist() == [pd.Timestamp("2024-01-31"), pd.Timestamp("2010-01-01")]
    assert a.end_date.iloc[1] == pd.Timestamp("2024-03-31")
    assert a.row.tolist() == [2, 3] and a.located_by.tolist() == ["postcode", "postcode"]
    assert a.crs.to_epsg() == 27700


def test_lat_lon_then_easting_northing_then_postcode():
    cols = ["id", "lat", "lon", "easting", "northing", "postcode"]
    r = check(
        [
            ["a", "51.015", "-3.101", "", "", ""],
            ["b", "", "", "330000", "130000", ""],
            ["c", "", "", "", "", "TA1 1AA"],
        ],
        cols,
    )
    assert r.accepted.located_by.tolist() == ["lat/lon", "easting/northing", "postcode"]
    # Taunton is about (322 900, 124 600) on the National Grid.
    assert r.accepted.easting.iloc[0] == pytest.approx(322_900, abs=1500)
    assert r.accepted.northing.iloc[0] == pytest.approx(124_600, abs=1500)


def test_missing_location_column_stops_the_file():
    with pytest.raises(ProviderFileError, match="no location column.*postcode"):
        check([["a", "Ann"]], ["id", "name"])


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (["x", "TA9 9ZZ", "", "", ""], "postcode", "not a live English postcode"),
        (["x", "HELLO", "", "", ""], "postcode", "not a UK postcode"),
        (["x", "", "-3.1", "51.0", ""], "lat", "look swapped"),
        (["x", "", "48.85", "2.35", ""], "lat", "outside Great Britain"),
        (["x", "", "", "", "many"], "capacity", "not a number"),
        (["x", "", "", "", "-3"], "capacity", "negative"),
        (["x", "", "", "", ""], "postcode", "no location"),
    ],
)
def test_row_problems(row, field, words):
    r = check([["ok", "TA1 1AA", "", "", "5"], row], ["id", "postcode", "lat", "lon", "capacity"])
    p = only_problem(r)
    assert (p.row, p.field) == (3, field)
    assert words in p.problem and p.fix
    assert r.accepted.id.tolist() == ["ok"]  # the good row is kept
    assert r.rejected_rows.row.tolist() == [3] and words in r.rejected_rows.reason.iloc[0]


def test_end_before_start():
    r = check([["a", "TA1 1AA", "01/06/2020", "01/01/2020"]], ["id", "postcode", "start_date", "end_date"])
    p = only_problem(r)
    assert p.field == "end_date" and "before start date" in p.problem


def test_unreadable_date():
    r = check([["a", "TA1 1AA", "the 5th of never"]], ["id", "postcode", "start_date"])
    assert only_problem(r).field == "start_date"


def test_duplicate_ids_keep_the_first():
    r = check([["a", "TA1 1AA"], ["a", "BA4 5AA"]], ["id", "postcode"])
    p = only_problem(r)
    assert p.row == 3 and p.field == "id" and "row 2" in p.problem
    assert len(r.accepted) == 1


def test_outside_the_council_is_kept_and_flagged():
    r = check([["far", "", "", "400000", "400000"]], ["id", "postcode", "lat", "easting", "northing"])
    assert not r.rejected
    assert r.accepted.outside_council.tolist() == [True]
    assert any("row 2" in w and "outside the council" in w for w in r.warnings)


def test_empty_rows_are_skipped_and_counted():
    r = check([["a", "TA1 1AA"], ["", ""], [None, None], ["b", "BA4 5AA"]], ["id", "postcode"])
    assert r.accepted.row.tolist() == [2, 5]  # Excel row numbers survive the gap
    assert "2 empty rows skipped" in r.warnings


def test_formula_cells():
    r = check(
        [['=HYPERLINK("http://example.org","Ann\'s Help")', "TA1 1AA", "a"], ["Bob", "TA1 1AA", "=1+2"]],
        ["name", "postcode", "id"],
    )
    assert r.accepted.name.tolist() == ["Ann's Help"]
    assert any("HYPERLINK" in w for w in r.warnings)
    p = only_problem(r)
    assert p.field == "id" and "formula" in p.problem and "Paste Special" in p.fix


def test_capacity_defaults_with_a_warning():
    r = check([["a", "TA1 1AA", ""], ["b", "TA1 1AA", "12"]], ["id", "postcode", "capacity"])
    assert r.accepted.capacity.tolist() == [10.0, 12.0]
    assert r.accepted.capacity_assumed.tolist() == [True, False]
    assert "row 2: no capacity, assumed 10 people" in r.warnings


def test_unknown_kind_is_rejected_with_the_choices():
    r = check([["a", "TA1 1AA", "care home"]], ["id", "postcode", "kind"])
    p = only_problem(r)
    assert p.field == "kind" and "micro_enterprise, day_centre or other" in p.fix


def test_services_and_groups_are_normalised():
    r = check(
        [["a", "TA1 1AA", "Home Care; Socialising, cleaning; yoga", "Older people/Carers"]],
        ["id", "postcode", "services", "client_groups"],
    )
    a = r.accepted.iloc[0]
    assert a.services == "home care; socialising and fun; home help; other"
    assert a.client_groups == "older people; carers"
    assert any("'yoga'" in w for w in r.warnings)


def test_user_column_choice_overrides_guessing():
    r = check([["TA1 1AA", "Ann"]], ["Where", "Who"], overrides={"postcode": "Where", "name": "Who"})
    assert r.accepted.name.tolist() == ["Ann"] and r.accepted.postcode.tolist() == ["TA1 1AA"]


def test_json_report_shape():
    r = check([["a", "TA1 1AA"], ["b", "XX"]], ["id", "postcode"])
    report = r.to_dict()
    assert report["accepted"] == 1
    assert report["rejected"][0].keys() == {"row", "field", "problem", "fix"}


def test_helpers():
    assert normalise_postcode("ba45aa") == "BA4 5AA"
    assert map_columns(["PCD", "Latitude", "LNG"]) == {"postcode": "PCD", "lat": "Latitude", "lon": "LNG"}
    assert parse_date("31/01/2024") == date(2024, 1, 31)
    assert parse_date("31 January 2024") == date(2024, 1, 31)
    assert parse_date("March 2019") == date(2019, 3, 1)
    assert parse_date(45000) == date(2023, 3, 15)  # an Excel serial number
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("31/13/2024")


def test_active_at_counts_closures_from_their_date():
    p = pd.DataFrame(
        {
            "start_date": pd.to_datetime(["2015-01-01", "2021-01-01", None]),
            "end_date": pd.to_datetime([None, None, "2018-05-01"]),
        }
    )
    assert active_at(p, date(2018, 4, 30)).tolist() == [True, False, True]
    assert active_at(p, date(2018, 5, 1)).tolist() == [True, False, False]
    assert active_at(p, date(2021, 1, 1)).tolist() == [True, True, False]
