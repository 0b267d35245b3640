"""`make demo`: the standalone scene on one machine (run `python -m demo`)."""
