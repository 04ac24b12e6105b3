"""One check per setting (gapmap._validate): the same error type and words wherever a setting comes in."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pytest

from gapmap import _validate, errors
from gapmap.analysis import AnalysisRequest
from gapmap.cli import main
from gapmap.costs import euclidean_costs, within
from gapmap.errors import BandError, CrsError, KindsError, LevelError, OptionError, RadiusError, RoadFactorError
from gapmap.gaps import GapParams
from gapmap.privacy import PrivacyError, displace
from gapmap.schema import KINDS
from gapmap.siting import coverage_matrix
from gapmap.timeline import build_timeline, timeline_table
from tests.test_timeline import tiny  # noqa: F401 - fixture

POINTS = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0, 3000.0], [0.0, 0.0]), crs=27700)
START, END = date(2019, 1, 1), date(2021, 1, 1)


def _messages(error: type[Exception], calls) -> set[str]:
    """The messages of ``error`` raised by each call (each must raise it)."""
    out = set()
    for call in calls:
        with pytest.raises(error) as caught:
            call()
        out.add(str(caught.value))
    return out


@pytest.mark.parametrize("radius", [0, -1.0, float("nan"), float("inf"), "5"])
def test_a_bad_radius_is_one_radius_error_everywhere(radius, tiny):  # noqa: F811
    data, provs = tiny
    calls = [
        lambda: _validate.check_radius(radius),
        lambda: GapParams(radius_km=radius),
        lambda: AnalysisRequest(radius_km=radius),
        lambda: euclidean_costs(POINTS, POINTS, max_km=radius),
        lambda: within(euclidean_costs(POINTS, POINTS, max_km=5), radius),
        lambda: build_timeline(data, provs, start=START, end=END, radius_km=radius),
        lambda: coverage_matrix(np.zeros((1, 2)), np.zeros((1, 2)), radius_km=radius),
    ]
    messages = _messages(RadiusError, calls)
    assert messages == {f"the catchment radius must be a positive number of km, got {radius!r}"}


def test_error_types_are_named_for_the_setting_and_old_catches_still_work(tiny):  # noqa: F811
    data, provs = tiny
    (kinds,) = _messages(
        KindsError,
        [
            lambda: GapParams(kinds=("day_centre", "spa")),
            lambda: AnalysisRequest(kinds=("spa",)),
            lambda: build_timeline(data, provs, start=START, end=END, kinds=("spa",)),
        ],
    )
    assert kinds.startswith("unknown kind 'spa'")
    assert _messages(KindsError, [lambda: GapParams(kinds=()), lambda: _validate.check_kinds([])]) == {
        f"choose at least one kind of provider: {', '.join(KINDS)}"
    }
    assert (
        len(
            _messages(
                BandError,
                [
                    lambda: GapParams(band="90plus"),
                    lambda: build_timeline(data, provs, start=START, end=END, band="90plus"),
                ],
            )
        )
        == 1
    )
    assert (
        len(
            _messages(
                RoadFactorError,
                [
                    lambda: AnalysisRequest(circuity=0.9),
                    lambda: euclidean_costs(POINTS, POINTS, max_km=5, circuity=0.9),
                    lambda: build_timeline(data, provs, start=START, end=END, circuity=0.9),
                ],
            )
        )
        == 1
    )
    # None of these is a level; all are option errors, and the cost table's two are still CostErrors.
    for cls in (RadiusError, RoadFactorError, KindsError, BandError):
        assert issubclass(cls, OptionError) and issubclass(cls, ValueError) and not issubclass(cls, LevelError)
    assert issubclass(RadiusError, errors.CostError) and issubclass(RoadFactorError, errors.CostError)
    with pytest.raises(ValueError, match="unknown age band"):  # band_column's old contract
        GapParams(band="90plus")


def test_the_timeline_takes_the_analysis_request(tiny):  # noqa: F811
    data, provs = tiny
    request = AnalysisRequest(band="85plus", radius_km=1.0, kinds=("day_centre",))
    by_request = build_timeline(data, provs, start=START, end=END, today=date(2025, 1, 1), request=request)
    by_args = build_timeline(
        data, provs, start=START, end=END, today=date(2025, 1, 1), band="85plus", radius_km=1.0, kinds=("day_centre",)
    )
    assert (by_request.band, by_request.radius_km, by_request.kinds) == ("85plus", 1.0, ("day_centre",))
    assert timeline_table(by_request).equals(timeline_table(by_args))
    assert by_request.people.people_within_reach.tolist() == pytest.approx([10.0, 0.0, 0.0])


def test_crs_checks_say_what_is_wrong():
    wgs = POINTS.to_crs(4326)
    bare = gpd.GeoDataFrame(geometry=list(POINTS.geometry))
    with pytest.raises(CrsError, match="EPSG:4326.*British National Grid"):
        euclidean_costs(wgs, POINTS, max_km=5)
    with pytest.raises(CrsError, match="no coordinate reference system"):
        euclidean_costs(POINTS, bare, max_km=5)
    with pytest.raises(PrivacyError, match="British National Grid"):  # a module's own error type, same check
        displace(wgs.assign(kind="micro_enterprise", id="a"), b"k" * 32)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--radius-km", "0", "catchment radius must be a positive number"),
        ("--kinds", "day_centre,spa", "unknown kind 'spa'"),
        ("--circuity", "0.5", "road/straight-line factor must be at least 1"),
    ],
)
def test_the_command_line_refuses_in_the_library_words(option, value, words, capsys):
    assert main(["gaps", "--council", "E06000066", "--providers", __file__, option, value, "--out", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert option in err and words in err and "Traceback" not in err
