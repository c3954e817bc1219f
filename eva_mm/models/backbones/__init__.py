"""See the package docstring of eva_mm."""
