"""Figures for people, drawn from the tidy summary tables (matplotlib, SVG)."""
