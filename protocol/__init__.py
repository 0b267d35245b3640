"""What hub and satellite share: audio, bounded Wyoming framing, server, settings, discovery."""
