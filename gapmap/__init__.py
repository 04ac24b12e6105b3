"""gapmap: where care and support for older people is under-provided, street by street.

The library is pure and UI-free: it never imports Streamlit, never prints and keeps no global
state. All distance and area work is in British National Grid (EPSG:27700).

The names below are imported when first used, so a process that needs one module (a road
search helper, ``python -m gapmap.road_search``) does not load the geospatial stack.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "BNG": "gapmap.config",
    "WGS84": "gapmap.config",
    "DataPaths": "gapmap.config",
    "Council": "gapmap.councils",
    "resolve_council": "gapmap.councils",
    "LEVELS": "gapmap.population",
    "CouncilData": "gapmap.population",
    "load_council": "gapmap.population",
    "population_by_area": "gapmap.population",
}

__all__ = sorted(_WHERE)

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'gapmap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
