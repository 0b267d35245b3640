"""Understanding and acting: the home's devices, intents, and the actions that carry them out."""
