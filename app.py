"""gapmap: Streamlit entry point (router and shared sidebar)."""

import streamlit as st

from pages import _shared

st.set_page_config(page_title="gapmap", page_icon="static/favicon.png", layout="wide")
_shared.mark_router()

nav = st.navigation(
    [
        st.Page("pages/gaps.py", title="Where care is short", icon=":material/travel_explore:", default=True),
        st.Page("pages/population_map.py", title="Older population", icon=":material/groups:"),
        st.Page("pages/records.py", title="Provider records", icon=":material/upload_file:"),
        st.Page("pages/sources.py", title="Data and sources", icon=":material/info:"),
    ]
)
with st.sidebar:
    st.markdown("### gapmap")
    st.caption("Where care and support for older people is under-provided, street by street.")
    _shared.council_picker()
    _shared.privacy_picker()
nav.run()
with st.sidebar:
    _shared.show_attribution()
