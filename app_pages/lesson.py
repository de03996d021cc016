"""The lesson: being built (Teaching pages II, issue #9)."""

import streamlit as st

st.title("The lesson")
st.info("This page is being built.")
