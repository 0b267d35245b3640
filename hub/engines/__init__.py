"""Inference engines: each loads once, warms at start and runs off the event loop."""
