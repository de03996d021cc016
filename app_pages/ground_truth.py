"""Ground truth: being built (Teaching pages II, issue #9)."""

import streamlit as st

st.title("Ground truth")
st.info("This page is being built.")
