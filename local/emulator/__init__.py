"""A local stand-in for the AWS services moto lacks, speaking their real wire protocols.

Rekognition DetectModerationLabels (labels declared, not detected), Comprehend
DetectToxicContent (scores declared), IVS channels, stream keys and streams, the IVS chat
control plane and the IVS Chat Messaging WebSocket (review handlers invoked, chat logs
delivered), all in one aiohttp server with in-memory state. boto3 reaches it through the
standard endpoint variables (``AWS_ENDPOINT_URL_REKOGNITION``,
``AWS_ENDPOINT_URL_COMPREHEND``, ``AWS_ENDPOINT_URL_IVS``, ``AWS_ENDPOINT_URL_IVSCHAT``)
with any credentials; a browser through the chat endpoint.
The production code does not know the difference.

Run it with ``python -m local.emulator`` or in-process with `create_app`; the admin API
(labels, toxicity, faults, encoder, clock, log subscriptions, state) is documented in
README.md beside this file.
"""

from local.emulator.app import create_app

__all__ = ["create_app"]
