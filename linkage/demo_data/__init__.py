"""Synthetic demo data: invented persons and the messy source files that record them (never real people)."""
