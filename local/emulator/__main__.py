"""Run the emulator: ``python -m local.emulator --port 4510 --s3-endpoint http://127.0.0.1:5000``."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from local.emulator.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m local.emulator",
        description="Rekognition moderation, Comprehend toxicity, IVS and IVS chat (and its "
        "WebSocket), locally.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=4510, help="port (default: %(default)s)")
    parser.add_argument(
        "--s3-endpoint", required=True, help="where Rekognition reads S3 objects (moto)"
    )
    parser.add_argument(
        "--region", default="us-west-2", help="region of the ARNs (default: %(default)s)"
    )
    parser.add_argument(
        "--account", default="123456789012", help="account of the ARNs (default: %(default)s)"
    )
    parser.add_argument(
        "--events-endpoint",
        help="EventBridge (moto) to put IVS's events on (PutEvents, default bus); off if not given",
    )
    parser.add_argument(
        "--lambda-endpoint",
        help="Lambda (Invoke API) for chat review handlers and log subscriptions; without it "
        "a review handler always takes its fallback",
    )
    parser.add_argument(
        "--logs-endpoint",
        help="CloudWatch Logs (moto) to write chat logs to (PutLogEvents); off if not given",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(
        args.region,
        args.account,
        args.s3_endpoint,
        args.events_endpoint,
        args.lambda_endpoint,
        args.logs_endpoint,
    )
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
