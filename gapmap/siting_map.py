"""Map layers for a recruitment plan: numbered sites and their catchment circles.

:func:`site_layer` describes them for the app's live map (a call into
``static/gapmap/map-layers.js``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapmap.maps import LayerCall

SUGGESTED_COLOUR = "#d7301f"
HYPOTHETICAL_COLOUR = "#c51b7d"  # magenta: apart from the "other provider" purple and the suggested red


def site_legend(*, hypothetical: bool) -> list[tuple[str, str]]:
    """Legend rows for :func:`site_layer`."""
    rows = [(SUGGESTED_COLOUR, "Suggested site (number = rank) and its catchment")]
    if hypothetical:
        rows.append((HYPOTHETICAL_COLOUR, "Your hypothetical provider"))
    return rows


def site_layer(
    sites: pd.DataFrame,
    *,
    radius_km: float,
    circuity: float = 1.0,
    hypothetical: np.ndarray | None = None,
    band_label: str = "people",
) -> LayerCall:
    """The sites as one layer call: a numbered badge and a catchment circle each.

    Parameters
    ----------
    sites
        A site table (:data:`gapmap.schema.SITE_COLUMNS`, ``reason``), in rank order.
    radius_km
        Catchment radius in cost units; the circle is drawn at ``radius_km / circuity``
        of straight line.
    circuity
        Road/straight-line factor of the plan.
    hypothetical
        Boolean per site: drawn in the "your provider" colour.
    band_label
        Who ``people_reached`` counts, for the tooltip (e.g. "people aged 75+").

    Returns
    -------
    LayerCall
        ``("gapmapSites", spec)``; texts travel as text and the browser escapes them.
    """
    flags = np.zeros(len(sites), dtype=bool) if hypothetical is None else np.asarray(hypothetical, dtype=bool)
    spec = {
        "lat": [round(float(v), 6) for v in sites["lat"]],
        "lon": [round(float(v), 6) for v in sites["lon"]],
        "rank": [int(r) for r in sites["rank"]],
        "mine": [bool(f) for f in flags],
        "postcode": [str(p) for p in sites["postcode"]],
        "reached": [f"{float(n):,.0f} {band_label} newly within reach" for n in sites["people_reached"]],
        "reason": [str(r) for r in sites["reason"]],
        "radiusM": radius_km * 1000.0 / circuity,
        "colours": {"suggested": SUGGESTED_COLOUR, "mine": HYPOTHETICAL_COLOUR},
    }
    return ("gapmapSites", spec)
