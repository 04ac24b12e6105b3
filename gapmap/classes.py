"""Choropleth classes: one classing function for the web maps and the printed maps.

The folium choropleth (:mod:`gapmap.maps`) and the static maps (:mod:`gapmap.figures`) both
call :func:`classify`, so an area has the same colour and the legend the same class bounds on
screen, on a slide and on paper. Classes come from ``mapclassify`` (quantiles by default, or
Fisher–Jenks natural breaks).

Classes are computed in the measure's unit, the one its numbers are shown in (``fmt``): whole
people for ``",.0f"``, tenths of a km for ``",.1f"``, whole per cent for ``".0%"``. Values and
bounds are rounded to that unit first, so a legend never reads "0.00 – 0.00" or "over 0 – 0",
no class is empty of width, and an area shown as 36 people is in the class that says 36.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

PALETTE = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026")
"""ColorBrewer YlOrRd (sequential), light to dark; 7 is the most classes drawn."""

NO_DATA = "#d9d9d9"
NO_DATA_TEXT = "no residents / no data"
"""Legend text of the no-data colour, unless a map says why its areas have no value."""
"""Fill of areas with no value (no residents of the band)."""

SCHEMES = {"quantiles": mapclassify.Quantiles, "natural_breaks": mapclassify.FisherJenks}
"""Classing schemes offered (``mapclassify`` classes)."""


@dataclass(frozen=True)
class Classes:
    """Class bounds and colours of one mapped measure.

    Attributes
    ----------
    breaks
        Increasing upper bounds; the last is the maximum.
    colours
        One colour per class, light (low) to dark (high), or reversed.
    lowest
        The minimum value (lower bound of the first class).
    has_missing
        Some areas have no value (drawn in :data:`NO_DATA`).
    """

    breaks: tuple[float, ...]
    colours: tuple[str, ...]
    lowest: float
    has_missing: bool
    unit: float | None = None
    percent: bool = False

    def colour(self, value: object) -> str:
        """The fill colour of one value (rounded to the unit first, as it is shown)."""
        if value is None or pd.isna(value) or not self.breaks:
            return NO_DATA
        v = float(snap(value, self.unit, percent=self.percent)) if self.unit else float(value)
        i = int(np.searchsorted(self.breaks, v, side="left"))
        return self.colours[min(i, len(self.colours) - 1)]

    def colours_of(self, values: pd.Series) -> list[str]:
        """Fill colours of many values, in order."""
        return [self.colour(v) for v in values]

    def labels(self, fmt: Callable[[float], str]) -> list[str]:
        """``"low – high"`` text per class, with ``fmt`` widened until neighbouring bounds differ.

        With a unit, each class reads from the first value it holds to its last (``"0"``,
        ``"1 – 36"``, ``"37 – 80"``): classes never overlap and a class of one value reads once.
        """
        bounds = [self.lowest, *self.breaks]
        if self.unit:
            out = []
            for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
                start = lo if i == 0 else float(snap(lo + self.unit, self.unit, percent=self.percent))
                out.append(fmt(hi) if start >= hi else f"{fmt(start)} – {fmt(hi)}")
            return out
        out: list[str] = []
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            if lo == hi:
                out.append(fmt(hi))  # a class of one value (e.g. nobody)
            elif out and out[-1] == fmt(lo):
                out.append(f"over {fmt(lo)} – {fmt(hi)}")
            else:
                out.append(f"{fmt(lo)} – {fmt(hi)}")
        return out

    def legend(self, fmt: str = ",.0f", *, missing: str = NO_DATA_TEXT) -> list[tuple[str, str]]:
        """``(colour, text)`` legend rows, with just enough decimals to tell the bounds apart."""
        spec = fmt if self.unit else distinct_format(fmt, list(self.breaks))
        rows = list(zip(self.colours, self.labels(lambda v: _number(v, spec)), strict=True))
        if self.has_missing:
            rows.append((NO_DATA, missing))
        return rows


def unit_of(fmt: str | None) -> float | None:
    """The unit numbers formatted with ``fmt`` are shown in (``None`` when it is not a fixed-decimal format).

    Examples
    --------
    >>> unit_of(",.0f"), unit_of("+,.1f"), unit_of(".0%"), unit_of("s")
    (1.0, 0.1, 0.01, None)
    """
    m = re.fullmatch(r"[+\- ]?,?\.(\d)([f%])", fmt or "")
    if not m:
        return None
    return 10.0 ** -(int(m.group(1)) + (2 if m.group(2) == "%" else 0))


def is_percent(fmt: str | None) -> bool:
    """Whether numbers formatted with ``fmt`` are shown as percentages."""
    return bool(fmt) and fmt.endswith("%")


def snap(values: object, unit: float | None, *, percent: bool = False) -> np.ndarray:
    """``values`` rounded to a whole number of ``unit`` as :func:`format` shows them, as floats.

    ``percent``: the values are shown with a ``%`` format (``format`` multiplies by 100 first).

    Examples
    --------
    >>> snap([0.004, 36.56, -0.06], 0.1).tolist()
    [0.0, 36.6, -0.1]
    """
    v = np.asarray(values, dtype=float)
    if not unit:
        return v
    digits = max(0, round(-np.log10(unit)))
    # Rounded as format() rounds (the float's exact value, e.g. 0.45 -> 0.5), not v / unit,
    # whose binary quotient can fall on the other side of a half (0.45 / 0.1 = 4.4999…).
    if percent:
        d = max(0, digits - 2)
        shown = [float(f"{x:.{d}%}"[:-1]) / 100 if np.isfinite(x) else x for x in v.ravel().tolist()]
    else:
        shown = [float(f"{x:.{digits}f}") if np.isfinite(x) else x for x in v.ravel().tolist()]
    return np.asarray(shown, dtype=float).reshape(v.shape) + 0.0  # + 0.0: no "-0"


def _number(value: float, spec: str) -> str:
    text = format(value, spec)
    return text[1:] if text[:1] in "+-" and float(value) == 0 else text  # zero has no sign


def distinct_format(fmt: str, breaks: list[float]) -> str:
    """``fmt`` with more decimals (up to two more) until the class bounds all read differently.

    Examples
    --------
    >>> distinct_format(",.0f", [0.2, 0.6, 1.4])
    ',.1f'
    """
    m = re.fullmatch(r"(,?)\.(\d)([f%])", fmt)
    if not m or len(breaks) < 2:
        return fmt
    comma, digits, kind = m.group(1), int(m.group(2)), m.group(3)
    candidate = fmt
    for d in range(digits, digits + 3):
        candidate = f"{comma}.{d}{kind}"
        if len({format(b, candidate) for b in breaks}) == len(breaks):
            return candidate
    return candidate


def class_breaks(
    values: pd.Series,
    n_classes: int = 6,
    *,
    scheme: str = "quantiles",
    unit: float | None = None,
    percent: bool = False,
) -> list[float]:
    """Class upper bounds for a choropleth, duplicates removed.

    Parameters
    ----------
    values
        The mapped values; missing values are ignored.
    n_classes
        Wanted number of classes (fewer are returned when values repeat).
    scheme
        ``"quantiles"`` or ``"natural_breaks"`` (see :data:`SCHEMES`).
    unit
        The unit the values are shown in (:func:`unit_of`): values and bounds are rounded to
        it, and a class that would hold no value is left out.
    percent
        The values are shown with a ``%`` format (:func:`snap`).

    Returns
    -------
    list of float
        Increasing upper bounds; the last is the maximum.

    Examples
    --------
    >>> class_breaks(pd.Series([1.0, 2.0, 3.0, 4.0]), 2)
    [2.5, 4.0]
    """
    v = snap(pd.Series(values, dtype=float).dropna().to_numpy(), unit, percent=percent)
    if len(v) == 0:
        return []
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classing scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    k = max(1, min(n_classes, len(PALETTE), len(np.unique(v))))
    if k == 1:
        return [float(v.max())]
    with warnings.catch_warnings():
        # mapclassify warns when repeated values give fewer classes; we drop duplicates below.
        warnings.simplefilter("ignore")
        bins = sorted({float(b) for b in snap(SCHEMES[scheme](v, k=k).bins, unit, percent=percent)})
    if unit:
        bins = _filled(bins, v)
    lowest = float(v.min())
    if len(bins) < k and np.sum(v == lowest) > 1:
        # Many areas share the lowest value (often 0 people) and the classes collapsed: give
        # those areas a class of their own and class the rest.
        return [lowest, *class_breaks(pd.Series(v[v > lowest]), k - 1, scheme=scheme, unit=unit, percent=percent)]
    return bins


def _filled(bins: list[float], v: np.ndarray) -> list[float]:
    """The bounds whose class holds at least one value (the last bound, the maximum, always)."""
    out: list[float] = []
    lo = -np.inf
    for b in bins:
        if np.any((v > lo) & (v <= b)):
            out.append(b)
            lo = b
    top = float(v.max())
    if not out or out[-1] < top:
        out.append(top)
    return out


MINUTE_BANDS: tuple[float, ...] = (15.0, 30.0, 45.0, 60.0)
"""Fixed class breaks of the minutes by road to the nearest provider (issue #20)."""

MINUTES_FORMAT = ",.0f"
"""Minutes by road are mapped and labelled in whole minutes."""


def minute_breaks(values: object) -> list[float]:
    """Class breaks for minutes by road to the nearest provider: 15, 30, 45, 60 and over.

    The same four bands on every map by road, whatever the council, so maps compare; a fifth
    class, over 60 minutes, runs to the largest value when any area is further.

    Parameters
    ----------
    values
        The mapped minutes (missing values allowed; they are drawn as no data).

    Returns
    -------
    list[float]
        Increasing upper bounds for :func:`classify` (``breaks=``), the last the maximum.

    Examples
    --------
    >>> minute_breaks([3.0, 22.0])
    [15.0, 30.0, 45.0, 60.0]
    >>> minute_breaks([3.0, 72.4])
    [15.0, 30.0, 45.0, 60.0, 72.0]
    """
    v = pd.Series(snap(pd.Series(values, dtype=float), unit_of(MINUTES_FORMAT)))
    top = float(v.max()) if v.notna().any() else MINUTE_BANDS[-1]
    return [*MINUTE_BANDS, top] if top > MINUTE_BANDS[-1] else list(MINUTE_BANDS)


def classify(
    values: pd.Series,
    n_classes: int = 6,
    *,
    scheme: str = "quantiles",
    reverse: bool = False,
    breaks: list[float] | None = None,
    fmt: str | None = None,
) -> Classes:
    """Classes and colours for ``values``.

    Parameters
    ----------
    values
        The mapped values (missing values allowed).
    n_classes
        Wanted number of classes.
    scheme
        See :func:`class_breaks`.
    reverse
        Darkest colour for the lowest values (for measures where low is bad, like access).
    breaks
        Use these bounds instead (e.g. the same classes on a before and an after map).
    fmt
        How the measure's numbers are shown (``",.0f"`` whole people, ``",.1f"`` km): classes
        are computed in that unit (:func:`unit_of`).

    Returns
    -------
    Classes

    Examples
    --------
    >>> c = classify(pd.Series([1.0, 2.0, 3.0, 4.0]), 2)
    >>> c.breaks, c.colour(1.0), c.colour(4.0)
    ((2.5, 4.0), '#ffffb2', '#800026')
    """
    unit = unit_of(fmt)
    percent = is_percent(fmt)
    s = pd.Series(snap(pd.Series(values, dtype=float), unit, percent=percent))
    if breaks is not None:
        bounds = sorted({float(b) for b in snap(list(breaks), unit, percent=percent)})
    else:
        bounds = class_breaks(s, n_classes, scheme=scheme, unit=unit, percent=percent)
    n = len(bounds)
    # Spread the classes over the palette so 3 classes still run light to dark.
    idx = [min(round(i * (len(PALETTE) - 1) / max(n - 1, 1)), len(PALETTE) - 1) for i in range(n)]
    colours = [PALETTE[len(PALETTE) - 1 - i] if reverse else PALETTE[i] for i in idx]
    lowest = float(s.min()) if s.notna().any() else 0.0
    if bounds:
        lowest = min(lowest, bounds[0])
    return Classes(tuple(bounds), tuple(colours), lowest, bool(s.isna().any()), unit, percent)
