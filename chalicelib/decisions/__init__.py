"""The decision log: one record per frame and per audited action, and its history queries."""
