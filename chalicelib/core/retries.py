"""AWS calls retried as documented: botocore's standard mode, without its retry quota.

Standard mode backs off exponentially and retries throttling, transient and modeled
retryable errors, up to `total_max_attempts`. But it also keeps a retry quota per client
(500 tokens; a throttled retry costs 5, any other 14, a success gives one back), and in
Lambda a client lives as long as its container: under sustained errors the quota runs dry
and calls fail after one attempt, long before the stated number (measured: 6 of 81 failed
Rekognition calls had made their 5 attempts). What bounds our load on a struggling
service is the function's concurrency and Lambda's own retries, not this quota, so each
call gets its attempts: the handler below is botocore's, with a quota that cannot run dry.
"""

from __future__ import annotations

import sys

from botocore.config import Config
from botocore.retries import quota, standard

ATTEMPTS = 5  # first try included
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": ATTEMPTS})


def keep_retrying(client) -> None:
    """Give `client` (built with CONFIG) standard retries whose quota never runs out."""
    service = client.meta.service_model.service_id.hyphenize()
    adapter = standard.RetryEventAdapter()
    throttling = standard.ThrottlingErrorDetector(adapter)
    unlimited = standard.RetryQuotaChecker(quota.RetryQuota(sys.maxsize), throttling)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=ATTEMPTS),
            retry_backoff=standard.ExponentialBackoff(
                service_name=service, throttling_detector=throttling
            ),
        ),
        retry_event_adapter=adapter,
        retry_quota=unlimited,
        service_name=service,
    )
    unique_id = f"retry-config-{service}"  # the id botocore registers its handler under
    client.meta.events.unregister(f"needs-retry.{service}", unique_id=unique_id)
    client.meta.events.register(f"needs-retry.{service}", handler.needs_retry, unique_id=unique_id)
