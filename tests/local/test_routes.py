"""The routes the stack makes of the app itself: its event handlers and its pure functions.

The stack reads them from the app as `chalice deploy` does (local/resources.py), on a real
moto server, and names each function as `chalice deploy --stage local` would
(local/stage.py); the relay and its Invoke API serve what the routes list.
"""

from __future__ import annotations

from local_servers import aws
from support import ACCOUNT, CHAT_MESSAGES_QUEUE, FAILED_FRAMES_QUEUE, REGION

from local.invoke import Invoker, functions_of
from local.resources import create_routes
from local.routes import Routes
from local.stage import lambda_function


def test_the_apps_pure_functions_and_the_chat_queue_are_routed_as_deployed(moto):
    # GIVEN the app, as the stack imports it
    import app

    # WHEN the stack makes its routes
    routes, _ = create_routes(
        app.app,
        aws("events", moto),
        aws("sqs", moto),
        failed_frames_queue=FAILED_FRAMES_QUEUE,
        function=lambda handler: lambda_function(app.app.app_name, handler),
        region=REGION,
        account=ACCOUNT,
    )

    # THEN the three pure chat functions are listed, named and sized as deployed
    functions = {f.handler: f for f in routes.functions}
    assert set(functions) == {"review_chat_message", "chat_log_received", "chat_ban_lookup"}
    review = functions["review_chat_message"]
    assert review.name == "ivs-moderation-local-review_chat_message"
    assert review.arn == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ivs-moderation-local-review_chat_message"
    )
    assert review.timeout_seconds > 0 and review.memory_mb > 0
    assert routes.unserved == ()
    # and the SLA sweep runs on its rate (local/schedules.py)
    [sweep] = routes.schedules
    assert (sweep.function.handler, sweep.seconds) == ("sla_sweep", 60)
    # and the deep pass reads the chat messages queue, with a dead-letter queue of its own
    [deep] = [r for r in routes.queues if r.function.handler == "moderate_chat_messages"]
    assert deep.queue_url.endswith(f"/{CHAT_MESSAGES_QUEUE}")
    assert deep.dead_letter_url.endswith(f"/{CHAT_MESSAGES_QUEUE}-dlq")
    assert deep.batch_size == 10
    # what the stack hands the relay carries them, and the Invoke API serves every function
    assert Routes.from_json(routes.to_json()) == routes
    served = {f.handler for f in functions_of(routes)}
    assert served == {
        "review_chat_message", "chat_log_received", "chat_ban_lookup",
        "moderate_chat_messages", "moderate_thumbnail", "stream_state_changed",
        "record_failed_frames", "send_alerts",
    }  # fmt: skip
    Invoker(
        app.app.handler_map,
        functions_of(routes),
        region=REGION,
        account=ACCOUNT,
        submit=lambda *_: None,
        retry_delays=(),
    )  # the app has a handler for each
