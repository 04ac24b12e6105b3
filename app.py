"""gapmap: Streamlit entry point (router and shared sidebar)."""

import streamlit as st

from pages._shared import council_picker, privacy_picker, show_attribution

st.set_page_config(page_title="gapmap", page_icon="static/favicon.png", layout="wide")

nav = st.navigation(
    [
        st.Page("pages/population_map.py", title="Older population", icon=":material/groups:", default=True),
        st.Page("pages/gaps.py", title="Where care is short", icon=":material/travel_explore:"),
        st.Page("pages/records.py", title="Provider records", icon=":material/upload_file:"),
        st.Page("pages/sources.py", title="Data and sources", icon=":material/info:"),
    ]
)
with st.sidebar:
    st.markdown("### gapmap")
    st.caption("Where care and support for older people is under-provided, street by street.")
    council_picker()
    privacy_picker()
nav.run()
with st.sidebar:
    show_attribution()
