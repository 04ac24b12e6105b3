"""Which providers count on a date: activity from start and end dates."""

from __future__ import annotations

from datetime import date

import pandas as pd


def active_at(providers: pd.DataFrame, when: date | pd.Timestamp) -> pd.Series:
    """Which providers were active on ``when``: started on or before it, not yet ended.

    A provider with an end date is active up to the day before it (it closed on that date).
    A blank start date counts as active since before records began.

    Examples
    --------
    >>> p = pd.DataFrame({"start_date": pd.to_datetime(["2015-01-01", None]),
    ...                   "end_date": pd.to_datetime([None, "2020-06-30"])})
    >>> active_at(p, date(2020, 6, 30)).tolist()
    [True, False]
    """
    t = pd.Timestamp(when)
    started = providers.start_date.isna() | (providers.start_date <= t)
    running = providers.end_date.isna() | (providers.end_date > t)
    return (started & running).rename("active")


def supply_at(
    providers: pd.DataFrame, when: date | pd.Timestamp, *, kinds: tuple[str, ...] | None = None
) -> pd.DataFrame:
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
        keep &= providers.kind.isin(kinds)
    return providers[keep]
