"""The homevoice hub: speech-to-text, text-to-speech and wake words served over Wyoming."""
