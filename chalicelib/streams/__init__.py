"""Streams: enforcement (revoke keys, then StopStream), a moderator's stop, and IVS's
stream-state events."""
