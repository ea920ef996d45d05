"""The bottom of the house: settings, logs and metrics, retries, DynamoDB, times, IVS ids and
keys, the errors a caller is told, and value validation. Imports nothing else of chalicelib
but the rules."""
