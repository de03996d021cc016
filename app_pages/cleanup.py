"""Clean-up: being built (Teaching pages II, issue #9)."""

import streamlit as st

st.title("Clean-up")
st.info("This page is being built.")
