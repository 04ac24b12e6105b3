"""Finding councils by code or name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from gapmap.errors import UnknownCouncilError


@dataclass(frozen=True)
class Council:
    """One council in the shipped list.

    Attributes
    ----------
    code
        ONS code (e.g. ``E06000066``).
    name
        Council name.
    tier
        ``"upper"`` for authorities that commission adult social care (counties,
        unitaries, metropolitan and London boroughs), ``"district"`` for districts.
    """

    code: str
    name: str
    tier: str


def resolve_council(query: str, councils: pd.DataFrame) -> Council:
    """Find a council by ONS code (any case) or exact name.

    Parameters
    ----------
    query
        A code such as ``"E06000066"`` or a name such as ``"Somerset"``.
    councils
        The council list from :func:`gapmap.io.read_councils`.

    Returns
    -------
    Council

    Raises
    ------
    UnknownCouncilError
        When nothing matches; carries up to five close matches by code or name.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"code": ["E06000066"], "name": ["Somerset"], "tier": ["upper"]})
    >>> resolve_council("somerset", table).code
    'E06000066'
    """
    q = query.strip()
    by_code = councils[councils.code.str.upper() == q.upper()]
    if by_code.empty:
        by_code = councils[councils.name.str.casefold() == q.casefold()]
    if not by_code.empty:
        row = by_code.iloc[0]
        return Council(code=str(row.code), name=str(row["name"]), tier=str(row.tier))
    names = dict(zip(councils.code, councils.name, strict=True))
    close_codes = difflib.get_close_matches(q.upper(), list(names), n=5, cutoff=0.7)
    by_name = {n.casefold(): c for c, n in names.items()}
    close_names = difflib.get_close_matches(q.casefold(), list(by_name), n=5, cutoff=0.6)
    picks = list(dict.fromkeys(close_codes + [by_name[n] for n in close_names]))[:5]
    raise UnknownCouncilError(q, [(c, names[c]) for c in picks])
