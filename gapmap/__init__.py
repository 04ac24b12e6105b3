"""gapmap: where care and support for older people is under-provided, street by street.

The library is pure and UI-free: it never imports Streamlit, never prints and keeps no global
state. All distance and area work is in British National Grid (EPSG:27700).
"""

from gapmap.config import BNG, WGS84, DataPaths
from gapmap.councils import Council, resolve_council
from gapmap.population import LEVELS, CouncilData, load_council, population_by_area

__all__ = [
    "BNG",
    "LEVELS",
    "WGS84",
    "Council",
    "CouncilData",
    "DataPaths",
    "load_council",
    "population_by_area",
    "resolve_council",
]

__version__ = "0.1.0"
