"""Map layers for a recruitment plan: numbered sites and their catchment circles.

Builds on :mod:`gapmap.maps` (draw a :func:`gapmap.maps.choropleth` first, then call
:func:`add_sites`).
"""

from __future__ import annotations

import html

import folium
import numpy as np
import pandas as pd

SUGGESTED_COLOUR = "#d7301f"
HYPOTHETICAL_COLOUR = "#6a51a3"


def site_legend(*, hypothetical: bool) -> list[tuple[str, str]]:
    """Legend rows for :func:`add_sites`."""
    rows = [(SUGGESTED_COLOUR, "Suggested site (number = rank) and its catchment")]
    if hypothetical:
        rows.append((HYPOTHETICAL_COLOUR, "Your hypothetical provider"))
    return rows


def add_sites(
    m: folium.Map,
    sites: pd.DataFrame,
    *,
    radius_km: float,
    circuity: float = 1.0,
    hypothetical: np.ndarray | None = None,
    band_label: str = "people",
) -> folium.Map:
    """Draw each site as a numbered marker with its catchment circle.

    Parameters
    ----------
    m
        The map to draw on.
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
    folium.Map
    """
    flags = np.zeros(len(sites), dtype=bool) if hypothetical is None else np.asarray(hypothetical, dtype=bool)
    circles = folium.FeatureGroup(name="Catchments", control=False)
    markers = folium.FeatureGroup(name="Sites", control=False)
    for row, mine in zip(sites.itertuples(), flags, strict=True):
        colour = HYPOTHETICAL_COLOUR if mine else SUGGESTED_COLOUR
        folium.Circle(
            location=[row.lat, row.lon],
            radius=radius_km * 1000.0 / circuity,
            color=colour,
            weight=1.5,
            fill=True,
            fill_opacity=0.06,
            interactive=False,  # clicks inside a catchment reach the map (add a provider there)
        ).add_to(circles)
        tip = (
            f"<b>{'Your provider' if mine else 'Suggested site'} {row.rank}</b> · {html.escape(str(row.postcode))}<br>"
            f"{row.people_reached:,.0f} {html.escape(band_label)} newly within reach<br>"
            f"{html.escape(str(row.reason))}<br><i>Click to remove</i>"
        )
        folium.Marker(
            location=[row.lat, row.lon],
            icon=folium.DivIcon(
                html=(
                    f'<div style="background:{colour};color:#fff;border:2px solid #fff;border-radius:50%;'
                    "width:26px;height:26px;line-height:22px;text-align:center;font:bold 12px sans-serif;"
                    f'box-shadow:0 0 3px #000">{int(row.rank)}</div>'
                ),
                icon_size=(26, 26),
                icon_anchor=(13, 13),
            ),
            tooltip=folium.Tooltip(tip),
        ).add_to(markers)
    circles.add_to(m)
    markers.add_to(m)
    return m
