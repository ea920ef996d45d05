"""Incidents, what moderators handle: the lifecycle rules (model), their storage, the
service that changes them, the queue's queries and the statistics."""
