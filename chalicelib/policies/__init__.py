"""Moderation policies kept as data: documents, versions, which applies, watchlists, backtests
(docs/policies.md)."""
