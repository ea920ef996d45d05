"""Alerts that leave the dashboard: every incident transition as an EventBridge event
(events.py, schema version 1), published once committed (publisher.py, with an outbox for
what could not be published), e-mails for high severity, escalations and SLA breaches
(notify.py, through SNS), and the SLA sweep that escalates unacknowledged incidents once
(sla.py)."""
