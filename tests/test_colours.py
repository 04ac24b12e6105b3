"""Colour and contrast (WCAG 2.2 AA 1.4.1, 1.4.3): contrast of the theme's text, and the map
palettes told apart under simulated protanopia, deuteranopia and tritanopia.

Colour vision deficiency is simulated with colorspacious (Machado et al. 2009, severity 100,
i.e. the full dichromacy) and differences are measured in CAM02-UCS, where about 1 unit is
just noticeable. Thresholds: 7 units between neighbouring classes of a sequential palette
(which must also keep getting darker), 9 between categorical marker colours (small marks need
more).
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("colorspacious")
from colorspacious import cspace_convert  # noqa: E402

from gapmap.classes import NO_DATA, PALETTE, classify  # noqa: E402
from gapmap.legend import CLOSED_COLOUR, KIND_COLOURS, provider_legend  # noqa: E402
from gapmap.siting_map import HYPOTHETICAL_COLOUR, SUGGESTED_COLOUR  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VISION = [None, "protanomaly", "deuteranomaly", "tritanomaly"]


def rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


@functools.cache
def seen(colour: str, cvd: str | None) -> np.ndarray:
    """The colour in CAM02-UCS (J', a', b') as seen with full ``cvd`` (None: typical vision)."""
    x = rgb(colour)[None]
    if cvd is not None:
        x = np.clip(cspace_convert(x, {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}, "sRGB1"), 0, 1)
    return cspace_convert(x, "sRGB1", "CAM02-UCS")[0]


def difference(a: str, b: str, cvd: str | None) -> float:
    return float(np.linalg.norm(seen(a, cvd) - seen(b, cvd)))


def luminance(colour: str) -> float:
    c = rgb(colour)
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(a: str, b: str) -> float:
    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def over(colour: str, alpha: float, background: str = "#ffffff") -> str:
    """``colour`` at ``alpha`` over ``background``, as the browser paints it."""
    mixed = alpha * rgb(colour) + (1 - alpha) * rgb(background)
    return "#" + "".join(f"{round(v * 255):02x}" for v in mixed)


def test_the_simulation_is_real():
    # Red and green are far apart to most people and close with deuteranopia; blue and yellow stay apart.
    assert difference("#d62728", "#2ca02c", None) > 3 * difference("#d62728", "#2ca02c", "deuteranomaly")
    assert difference("#1f77b4", "#ffdd00", "deuteranomaly") > 40


def test_theme_text_and_primary_colour_have_contrast():
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    text, primary = theme["textColor"], theme["primaryColor"]
    assert contrast(text, "#ffffff") >= 4.5
    # Captions and help text are the text colour at 60% (Streamlit's "faded" text).
    assert contrast(over(text, 0.6), "#ffffff") >= 4.5
    # A chosen segment or tab: primary text on a 20% tint of itself; white on primary buttons.
    assert contrast(primary, over(primary, 0.207)) >= 4.5
    assert contrast("#ffffff", primary) >= 4.5


@pytest.mark.parametrize("cvd", VISION)
@pytest.mark.parametrize("n", range(2, len(PALETTE) + 1))
@pytest.mark.parametrize("reverse", [False, True])
def test_map_classes_stay_in_order_and_apart(cvd, n, reverse):
    classes = classify(pd.Series(np.arange(100.0)), n, reverse=reverse)
    colours = list(classes.colours)
    assert len(colours) == n
    if reverse:
        colours = colours[::-1]
    lightness = [seen(c, cvd)[0] for c in colours]
    assert all(a > b for a, b in itertools.pairwise(lightness)), "classes must keep getting darker"
    for a, b in itertools.pairwise(colours):
        assert difference(a, b, cvd) >= 7, (a, b, cvd)
    for c in colours:
        assert difference(c, NO_DATA, cvd) >= 9, (c, cvd)


@pytest.mark.parametrize("cvd", VISION)
def test_marker_colours_are_told_apart(cvd):
    groups = {
        "provider kinds": [*KIND_COLOURS.values(), CLOSED_COLOUR],
        "plan sites": [SUGGESTED_COLOUR, HYPOTHETICAL_COLOUR],
    }
    for name, colours in groups.items():
        for a, b in itertools.combinations(colours, 2):
            assert difference(a, b, cvd) >= 9, (name, a, b, cvd)


def test_nothing_by_colour_alone_in_legends():
    rows = classify(pd.Series([0.0, 0.0, 1, 2, 3, 4, 5, 6, 7, 8, np.nan]), 6).legend()
    texts = [text for _, text in rows]
    assert all(texts) and len(set(texts)) == len(texts)  # every colour is named, each differently
    kinds = provider_legend(list(KIND_COLOURS), closed=True)
    assert [t for _, t in kinds][-1].startswith("Closed day centre (×")  # a cross, as drawn, not a colour
    assert len({t for _, t in kinds}) == len(kinds)
