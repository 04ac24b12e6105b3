"""Which providers count on a date: activity from start and end dates, defined once here.

:func:`active_matrix` holds the rule; :func:`active_at` (one date) and :func:`supply_at` (one
date and some kinds) are built on it, as are the timeline's frames and the gap engine's supply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd


def active_matrix(providers: pd.DataFrame, dates: Sequence[date | pd.Timestamp]) -> np.ndarray:
    """Which providers were active on each date: ``(len(dates), len(providers))`` booleans.

    Active = started on or before the date (a blank start date counts as active since before
    records began) and not yet ended: a provider with an end date is active up to the day
    before it (it closed on that date).

    Examples
    --------
    >>> p = pd.DataFrame({"start_date": pd.to_datetime(["2015-01-01", None]),
    ...                   "end_date": pd.to_datetime([None, "2020-06-30"])})
    >>> active_matrix(p, [date(2010, 1, 1), date(2020, 6, 29)]).tolist()
    [[False, True], [True, True]]
    """
    t = pd.to_datetime(pd.Series(list(dates), dtype=object)).to_numpy()[:, None]
    start = pd.to_datetime(providers.start_date).to_numpy()[None, :]
    end = pd.to_datetime(providers.end_date).to_numpy()[None, :]
    started = pd.isna(start) | (start <= t)
    running = pd.isna(end) | (end > t)
    return started & running


def active_at(providers: pd.DataFrame, when: date | pd.Timestamp) -> pd.Series:
    """Which providers were active on ``when`` (:func:`active_matrix` for one date), as a Series.

    Examples
    --------
    >>> p = pd.DataFrame({"start_date": pd.to_datetime(["2015-01-01", None]),
    ...                   "end_date": pd.to_datetime([None, "2020-06-30"])})
    >>> active_at(p, date(2020, 6, 30)).tolist()
    [True, False]
    """
    return pd.Series(active_matrix(providers, [when])[0], index=providers.index, name="active")


def supply_at(providers: pd.DataFrame, when: date | pd.Timestamp, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """The providers that count on ``when``: active then, and of one of ``kinds`` (all when None).

    Examples
    --------
    >>> p = pd.DataFrame({"kind": ["day_centre", "other"], "start_date": pd.to_datetime([None, None]),
    ...                   "end_date": pd.to_datetime([None, None])})
    >>> supply_at(p, date(2024, 1, 1), kinds=("other",)).kind.tolist()
    ['other']
    """
    keep = active_at(providers, when)
    if kinds is not None:
        keep &= providers.kind.isin(tuple(kinds))
    return providers[keep]
