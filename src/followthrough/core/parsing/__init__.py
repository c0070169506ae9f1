"""Helpers behind :mod:`followthrough.core.markdown`: vocabulary tables and date parsing."""
