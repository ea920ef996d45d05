"""Channels as the service knows them: names, live state, the current incident, quiet time."""
