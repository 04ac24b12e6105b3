"""Accessibility statement (GOV.UK model form; the same text as the README's section)."""

import streamlit as st

from gapmap.accessibility import STATEMENT
from pages import _shared

_shared.ensure_router()

st.title("Accessibility statement for gapmap")
st.markdown(STATEMENT)
