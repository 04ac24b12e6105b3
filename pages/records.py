"""Provider records: import, validate, keep and export the council's own lists."""

import streamlit as st

st.title("Provider records")
st.info("Import of your own records is coming in the next release.")
