"""The moderators' IVS chat room: the STREAM_MODERATION event (schema v2), sending it, chat
tokens, and the notices that the team is blind on a channel."""
