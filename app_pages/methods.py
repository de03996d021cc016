"""Other methods: being built (Teaching pages II, issue #9)."""

import streamlit as st

st.title("Other methods")
st.info("This page is being built.")
