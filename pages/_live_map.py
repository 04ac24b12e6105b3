"""The app's live area map: Leaflet drawn in the page (a Streamlit v2 component, no iframe).

The map is created once per ``key`` and kept: each rerun sends only its layer calls
(:data:`gapmap.maps.LayerCall`: colour indexes and figures per area over outlines the browser
fetched once, provider markers, plan sites), so a change of setting never remounts it and pan
and zoom cause no rerun. Leaflet and gapmap's layer script (``static/gapmap/map-layers.js``,
the same one the offline hand-outs use) load from the app's own static folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from gapmap.alternatives import MAP_LABEL
from gapmap.legend import KIND_COLOURS
from gapmap.maps import (
    MAP_SCRIPT,
    SCRIPT_DIR,
    STREAMLIT_ASSET_URL,
    STREAMLIT_SCRIPT_URL,
    LayerCall,
    area_legend_html,
    area_values,
)
from pages._shared import Outlines


def _versioned(name: str) -> str:
    """``/app/static/gapmap/<name>?v=<content hash>``: a new release is never read from an old cache."""
    digest = hashlib.sha256((SCRIPT_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{STREAMLIT_SCRIPT_URL}/{name}?v={digest}"


_LIVE_MAP = _versioned("live-map.js")
_LAYERS = _versioned(MAP_SCRIPT)

# The component's own code is a few lines that import the map's module from the app's static
# folder (``static/gapmap/live-map.js``): Streamlit sends a component's code with every rerun,
# and the browser fetches and keeps the module once, so a setting's change sends only values.
_LOADER = """export default function (component) {
  let cleanup = null, gone = false;
  import(new URL(component.data.assets.live, document.baseURI).href)
    .then((m) => { if (!gone) cleanup = m.default(component); })
    .catch((err) => { component.parentElement.textContent = "The map could not be drawn: " + err.message; });
  return () => { gone = true; if (cleanup) cleanup(); };
}"""

_component = st.components.v2.component("gapmap_live_map", js=_LOADER, html="", isolate_styles=False)


@dataclass(frozen=True)
class Click:
    """A click on the map, in WGS84: a marker's own position when a marker was clicked."""

    lat: float
    lng: float
    marker: bool
    n: int
    """Grows with each click: two clicks on the same spot differ."""


@dataclass(frozen=True)
class MapEvents:
    """What the user last did on a live map."""

    area: str | None = None
    """Code of the area last clicked (maps without ``clicks``)."""
    click: Click | None = None
    """The last click (maps with ``clicks``)."""


def live_map(
    bounds: Sequence[float],
    layers: Sequence[LayerCall],
    *,
    key: str,
    height: int,
    basemap: bool = False,
    clicks: bool = False,
    label: str = "areas and providers",
    focus_markers: bool = False,
) -> MapEvents:
    """Draw ``layers`` on the map kept under ``key``; return what was last clicked.

    Parameters
    ----------
    bounds
        WGS84 (minx, miny, maxx, maxy) the map fits when first drawn or when they change.
    layers
        Calls into ``map-layers.js`` (:func:`gapmap.maps.area_values`,
        :func:`gapmap.maps.provider_layers`, :func:`gapmap.siting_map.site_layer`).
    key
        One map per key (e.g. per page and council).
    height
        In pixels.
    basemap
        OpenStreetMap tiles under the areas (needs internet access).
    clicks
        Report every click with its position (for placing or picking on the map); otherwise
        only which area was clicked.
    label
        What the map shows, for its accessible name (:data:`gapmap.alternatives.MAP_LABEL`).
    focus_markers
        Day centres' and other venues' markers take keyboard focus (Tab to one, Enter picks it
        as a click would), each named by its kind and, where privacy allows, its name.
    """
    result = _component(
        key=key,
        data={
            "assets": {
                "leaflet": _under_base(STREAMLIT_ASSET_URL),
                "script": _under_base(_LAYERS),
                "live": _under_base(_LIVE_MAP),
            },
            "bounds": [float(v) for v in bounds],
            "basemap": bool(basemap),
            "height": int(height),
            "layers": [list(call) for call in layers],
            "clicks": bool(clicks),
            "label": MAP_LABEL.format(title=label),
            # Venues only: sole traders' homes are never a keyboard stop (hundreds of them, and personal).
            "focusKinds": [i for i, k in enumerate(KIND_COLOURS) if k != "micro_enterprise"] if focus_markers else [],
        },
        default={"selected": None, "clicked": None},
        on_selected_change=lambda: None,
        on_clicked_change=lambda: None,
        height=int(height),
    )
    return _events(result)


def area_map(
    bounds: Sequence[float],
    outlines: Outlines,
    areas: pd.DataFrame,
    spec: Mapping[str, object],
    *,
    key: str,
    height: int,
    layers: Sequence[LayerCall] = (),
    basemap: bool = False,
    clicks: bool = False,
    focus_markers: bool = False,
) -> MapEvents:
    """An area map: ``areas`` coloured over ``outlines``, then ``layers``; its legend under it.

    ``outlines`` is a published outlines file (:func:`pages._shared.area_outlines`); rows of
    ``areas`` it does not draw (the residents outside your own areas) are left out of
    both map and legend. ``spec`` holds the arguments of :func:`gapmap.maps.area_values` and
    :func:`gapmap.maps.area_legend_html` (field, tooltip, note, breaks, ...). The other
    arguments are :func:`live_map`'s.
    """
    mapped = areas[areas.area_code.isin(outlines.codes)]
    events = live_map(
        bounds,
        [area_values(outlines.url, outlines.codes, mapped, **spec), *layers],  # type: ignore[arg-type]
        key=key,
        height=height,
        basemap=basemap,
        clicks=clicks,
        label=str(getattr(spec.get("field"), "label", "areas")),
        focus_markers=focus_markers,
    )
    st.html(area_legend_html(mapped, **spec))  # type: ignore[arg-type]  # below the map, never over it
    return events


def _events(result: object) -> MapEvents:
    """Read the component's state defensively: it comes from the browser."""
    get = getattr(result, "get", None)
    if get is None:
        return MapEvents()
    area = get("selected")
    raw = get("clicked")
    click = None
    if isinstance(raw, dict):
        try:
            click = Click(float(raw["lat"]), float(raw["lng"]), bool(raw.get("marker")), int(raw.get("n", 0)))
        except (KeyError, TypeError, ValueError):
            click = None
        if click is not None and not (-90 <= click.lat <= 90 and -180 <= click.lng <= 180):
            click = None
    return MapEvents(area=area if isinstance(area, str) else None, click=click)


def _under_base(url: str) -> str:
    """``/app/static/…`` under ``server.baseUrlPath`` (the app behind a proxy at a sub-path)."""
    from pages._shared import static_root

    return static_root() + url.removeprefix("/app/static")
