"""The hub's HTTP face: the API for speech and runs, live events, metrics and the dashboard."""
