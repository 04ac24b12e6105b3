"""Where the data comes from: provenance manifest, method and licences."""

import pandas as pd
import streamlit as st

from gapmap.maps import ATTRIBUTION
from pages import _shared

_shared.ensure_router()

st.title("Data and sources")
st.markdown(
    "gapmap ships compact copies of real open data, built by `scripts/build_data.py`. "
    "Nothing on these pages is invented: provider, day-centre and closure records are your "
    "council's own and are loaded from your files."
)
man = _shared.manifest()
rows = [{k: s.get(k) for k in ("name", "publisher", "vintage", "licence", "rows", "output")} for s in man["sources"]]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.subheader("How population is placed on the map")
st.markdown(
    """
Each **live postcode** (OS Code-Point Open, with coordinates) is a demand point. The Census
2021 counts of the neighbourhood (LSOA, about 1,500 residents) a postcode falls in are **shared
equally** among that neighbourhood's postcodes, then added up to wards, larger neighbourhoods
(MSOAs), hexes or your own areas. Totals at every level equal the sum of the neighbourhoods. The
equal share is an approximation inside a neighbourhood (a block of flats and a farm count once
each); neighbourhood and larger figures are exact Census counts.
"""
)
codepoint = next(s for s in man["sources"] if s["name"] == "OS Code-Point Open")
st.caption(
    f"{codepoint['demand_points']:,} demand points; {codepoint['postcodes_outside_lsoa_polygons']} postcodes "
    f"lying just outside the generalised neighbourhood (LSOA) boundaries were given the nearest neighbourhood; "
    f"{codepoint['lsoas_without_postcode']} neighbourhoods had no postcode and got a point inside them."
)
_shared.road_network_box(st.session_state.get("council", _shared.DEFAULT_COUNCIL))
st.subheader("Attribution")
st.markdown("\n".join(f"- {line}" for line in ATTRIBUTION))
