"""One run from audio or text to the spoken answer, driven by both front doors."""
