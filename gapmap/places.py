"""Finding a place the user typed: a postcode of the council, or a ward's name.

The keyboard's way to put a site on the plan (the map's click needs a mouse): the place is
found offline in the council's own postcodes and ward boundaries, in British National Grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gapmap.cells import normalise_postcode
from gapmap.errors import GapmapError
from gapmap.population import CouncilData


class PlaceNotFoundError(GapmapError, LookupError):
    """A typed place is not a postcode or ward name of the council."""


@dataclass(frozen=True)
class Place:
    """A located place: British National Grid metres and what was found."""

    easting: float
    northing: float
    label: str
    """The postcode, or the ward's name, as found."""


def find_place(data: CouncilData, text: str) -> Place:
    """The place ``text`` names: a postcode in the council, else a ward whose name matches.

    A postcode is placed at its own grid reference; a ward at a point inside it (its
    representative point), so a site added by name always lies in the ward named.

    Parameters
    ----------
    data
        The council (:func:`gapmap.population.load_council`).
    text
        A postcode (any spacing or case) or a ward name (case-insensitive; a unique part
        of a name is enough, e.g. "Frome" when only one ward's name contains it).

    Raises
    ------
    PlaceNotFoundError
        When nothing, or more than one ward, matches; the message says which.

    Examples
    --------
    >>> from gapmap.population import load_council
    >>> find_place(load_council("E06000066"), "ta1 4lh").label  # doctest: +SKIP
    'TA1 4LH'
    """
    wanted = str(text).strip()
    if not wanted:
        raise PlaceNotFoundError("type a postcode or a ward name")
    postcode = normalise_postcode(wanted)
    if postcode is not None:
        hit = data.points[data.points.postcode == postcode]
        if hit.empty:
            raise PlaceNotFoundError(f"{postcode} is not a postcode in {data.council.name}")
        row = hit.iloc[0]
        return Place(float(row.easting), float(row.northing), postcode)
    wards = data.boundaries["wards"]
    names = wards.area_name.astype(str)
    exact = wards[names.str.casefold() == wanted.casefold()]
    found = exact if len(exact) else wards[names.str.casefold().str.contains(wanted.casefold(), regex=False)]
    if found.empty:
        raise PlaceNotFoundError(f"no postcode or ward called {wanted!r} in {data.council.name}")
    if len(found) > 1:
        some = sorted(pd.unique(found.area_name.astype(str)))
        listed = ", ".join(some[:6]) + (", …" if len(some) > 6 else "")
        raise PlaceNotFoundError(f"{wanted!r} matches {len(found)} wards ({listed}): type more of the name")
    point = found.geometry.iloc[0].representative_point()
    return Place(float(point.x), float(point.y), str(found.area_name.iloc[0]))
