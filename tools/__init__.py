"""Maintenance scripts for the repository (not installed with the package)."""
