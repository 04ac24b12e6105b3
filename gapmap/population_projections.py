r"""Projected older population: ONS subnational population projections (SNPP) as growth factors.

The small-area pattern is held: every postcode's band population is the Census 2021 count
times the council's projected growth for that band,

.. math:: D_i(y) = D_i^{2021} \times \frac{P(y)}{P(y_0)}

with :math:`P(y)` the council's projected band total in year :math:`y` and :math:`y_0` the
projection's base year (2022 for the 2022-based SNPP). So projections change how many people
there are, never where within the council they live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapmap.errors import ProjectionError

PROJECTION_COLUMNS = ("council_code", "council_name", "year", "pop_65plus", "pop_75plus", "pop_85plus")
"""The compact layout: one row per council and year, band totals."""

SOURCE = "ONS 2022-based subnational population projections (migration-category variant), OGL v3"
"""What the shipped projections are; said wherever a projected figure is shown."""

_BAND_FROM = {"pop_65plus": 65, "pop_75plus": 75, "pop_85plus": 85}


def _age(label: object) -> float:
    """Single year of age from an ONS AGE_GROUP label ("65", "90 and over", "90+"); NaN otherwise."""
    m = re.match(r"^\s*(\d{1,3})\s*(\+|and over)?\s*$", str(label), flags=re.IGNORECASE)
    return float(m.group(1)) if m else float("nan")


def snpp_totals(raw: pd.DataFrame) -> pd.DataFrame:
    """Band totals per council and year from an SNPP table as ONS publishes it.

    Parameters
    ----------
    raw
        Columns ``AREA_CODE``, ``AREA_NAME``, ``COMPONENT`` (optional; ``Population`` rows
        are used), ``SEX`` (``persons`` rows, or male + female when there are none),
        ``AGE_GROUP`` (single years, ``90 and over``; ``All ages`` is ignored) and one column per
        year. Header case does not matter.

    Returns
    -------
    pandas.DataFrame
        :data:`PROJECTION_COLUMNS`, sorted by council and year.

    Examples
    --------
    >>> raw = pd.DataFrame({"AREA_CODE": ["E1"] * 3, "AREA_NAME": ["X"] * 3, "SEX": ["persons"] * 3,
    ...                     "AGE_GROUP": ["70", "80", "90 and over"], "2022": [10.0, 5, 2], "2030": [12.0, 6, 3]})
    >>> t = snpp_totals(raw)
    >>> t.year.tolist(), t.pop_65plus.tolist(), t.pop_75plus.tolist(), t.pop_85plus.tolist()
    ([2022, 2030], [17.0, 21.0], [7.0, 9.0], [2.0, 3.0])
    """
    frame = raw.rename(columns={c: str(c).strip().upper() for c in raw.columns})
    missing = {"AREA_CODE", "AGE_GROUP"} - set(frame.columns)
    if missing:
        raise ProjectionError(
            f"not an ONS projections table: no {', '.join(sorted(missing))} column "
            "(expected AREA_CODE, AREA_NAME, COMPONENT, SEX, AGE_GROUP, then one column per year)"
        )
    years = [c for c in frame.columns if re.fullmatch(r"\d{4}", c)]
    if not years:
        raise ProjectionError("not an ONS projections table: no year columns (2022, 2023, …)")
    if "COMPONENT" in frame:
        frame = frame[frame.COMPONENT.astype(str).str.strip().str.lower() == "population"]
    if "SEX" in frame:
        sex = frame.SEX.astype(str).str.strip().str.lower()
        frame = frame[sex == "persons"] if (sex == "persons").any() else frame[sex.isin(["male", "female", "1", "2"])]
    age = frame.AGE_GROUP.map(_age)
    frame = frame[age >= 65].assign(_age=age[age >= 65])
    if frame.empty:
        raise ProjectionError("the projections table has no single-year rows for ages 65 and over")
    if "AREA_NAME" not in frame:
        frame = frame.assign(AREA_NAME=frame.AREA_CODE)
    values = frame[years].apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any():
        raise ProjectionError("the projections table has cells that are not numbers")
    parts = []
    for col, lo in _BAND_FROM.items():
        band = values[frame._age.to_numpy() >= lo].groupby(frame.AREA_CODE[frame._age >= lo]).sum()
        parts.append(band.stack().rename(col))
    out = pd.concat(parts, axis=1).fillna(0.0).reset_index()
    out.columns = ["council_code", "year", *_BAND_FROM]
    names = frame.groupby("AREA_CODE").AREA_NAME.first()
    out.insert(1, "council_name", out.council_code.map(names))
    out["year"] = out.year.astype(int)
    return out[list(PROJECTION_COLUMNS)].sort_values(["council_code", "year"]).reset_index(drop=True)


@dataclass(frozen=True)
class Projections:
    """Projected band totals per council and year (:data:`PROJECTION_COLUMNS`), and their source."""

    table: pd.DataFrame
    source: str = SOURCE

    def councils(self) -> list[str]:
        """Council codes with projections."""
        return sorted(set(self.table.council_code))

    def has(self, code: str) -> bool:
        """Whether ``code`` has projections."""
        return code in set(self.table.council_code)

    @property
    def base_year(self) -> int:
        """The first projected year (the base the growth is measured from)."""
        return int(self.table.year.min())

    @property
    def last_year(self) -> int:
        """The last projected year."""
        return int(self.table.year.max())

    def growth(self, code: str, band: str, years: np.ndarray | list[int]) -> np.ndarray:
        """Projected band total in each year ÷ the base year's (NaN outside the projected years).

        Raises
        ------
        ProjectionError
            No projections for ``code``.
        """
        col = f"pop_{band}" if not band.startswith("pop_") else band
        rows = self.table[self.table.council_code == code].set_index("year")
        if rows.empty:
            raise ProjectionError(f"no population projections for {code}; load the council's ONS SNPP table")
        if col not in rows:
            raise ProjectionError(f"no projections for band {band!r}")
        base = float(rows[col].loc[rows.index.min()])
        if base <= 0:
            raise ProjectionError(f"the projected {band} population of {code} is zero in the base year")
        series = rows[col] / base
        return series.reindex(np.asarray(years, dtype=int)).to_numpy(dtype=float)
