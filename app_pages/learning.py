"""From clustering to learning: being built (Teaching pages II, issue #9)."""

import streamlit as st

st.title("From clustering to learning")
st.info("This page is being built.")
