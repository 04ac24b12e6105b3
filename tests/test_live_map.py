"""The live map's state comes from the browser: anything it reports is read defensively."""

from __future__ import annotations

import math

import pytest

from pages._live_map import Click, MapEvents, _events


class State(dict):
    """What the component returns: a mapping with ``get``."""


@pytest.mark.parametrize(
    "raw",
    [
        None,
        42,
        "clicked",
        State(),
        State(selected=None, clicked=None),
        State(selected=["E05000001"], clicked="51,-3"),
        State(selected={"code": "x"}, clicked={"lat": "north", "lng": 0}),
        State(clicked={"lat": 51.0}),
        State(clicked={"lat": math.nan, "lng": -3.0, "n": 1}),
        State(clicked={"lat": 51.0, "lng": math.inf, "n": 1}),
        State(clicked={"lat": 95.0, "lng": -3.0, "n": 1}),
        State(clicked={"lat": 51.0, "lng": -3.0, "n": "many"}),
        State(clicked={"lat": None, "lng": None, "n": None}),
        State(clicked=[51.0, -3.0]),
    ],
)
def test_junk_from_the_browser_is_no_event(raw):
    events = _events(raw)
    assert isinstance(events, MapEvents)
    assert events.click is None
    assert events.area is None


def test_a_click_and_an_area_are_read():
    events = _events(State(selected="E05000001", clicked={"lat": "51.1", "lng": -3.2, "marker": 1, "n": 7}))
    assert events.area == "E05000001"
    assert events.click == Click(lat=51.1, lng=-3.2, marker=True, n=7)
