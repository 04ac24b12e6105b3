"""The app's live area map: Leaflet drawn in the page (a Streamlit v2 component, no iframe).

The map is created once per ``key`` and kept: each rerun sends only its layer calls
(:data:`gapmap.maps.LayerCall`: colour indexes and figures per area over outlines the browser
fetched once, and provider markers), so a change of setting never remounts it and pan and zoom
cause no rerun. Leaflet and gapmap's layer script (``static/gapmap/map-layers.js``, the same
one folium maps and the offline hand-outs use) load from the app's own static folder.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from gapmap.config import PACKAGE_ROOT
from gapmap.maps import MAP_SCRIPT, STREAMLIT_ASSET_URL, STREAMLIT_SCRIPT_URL, LayerCall

_JS = (PACKAGE_ROOT / "static" / "gapmap" / "live-map.js").read_text(encoding="utf-8")

_component = st.components.v2.component("gapmap_live_map", js=_JS, html="", isolate_styles=False)


def live_map(
    bounds: Sequence[float],
    layers: Sequence[LayerCall],
    *,
    key: str,
    height: int,
    basemap: bool = False,
) -> str | None:
    """Draw ``layers`` on the map kept under ``key``; return the code of the area last clicked.

    Parameters
    ----------
    bounds
        WGS84 (minx, miny, maxx, maxy) the map fits when first drawn or when they change.
    layers
        Calls into ``map-layers.js`` (:func:`gapmap.maps.area_values`,
        :func:`gapmap.maps.provider_layers`).
    key
        One map per key (e.g. per page and council).
    height
        In pixels.
    basemap
        OpenStreetMap tiles under the areas (needs internet access).
    """
    result = _component(
        key=key,
        data={
            "assets": {"leaflet": STREAMLIT_ASSET_URL, "script": f"{STREAMLIT_SCRIPT_URL}/{MAP_SCRIPT}"},
            "bounds": [float(v) for v in bounds],
            "basemap": bool(basemap),
            "height": int(height),
            "layers": [list(call) for call in layers],
        },
        default={"selected": None},
        on_selected_change=lambda: None,
        height=int(height),
    )
    selected = result.get("selected") if result is not None else None
    return selected if isinstance(selected, str) else None
