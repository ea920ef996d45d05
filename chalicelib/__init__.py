"""ivs-moderation's service: what ships to Lambda. Packages by concern, in layers that import
downwards only (pyproject.toml's import-linter contract, checked by `make lint`):

    api | handlers      the routes (blueprints) and the event handlers' bodies
    dependencies        everything built once per container, on first use
    frames              one thumbnail, end to end
    streams             enforcement, a moderator's stop, stream-state events
    incidents           the lifecycle, storage, the queue's queries, statistics
    room                the moderators' chat room: events, tokens, blind notices
    channels | decisions  the channels table; the decision log
    core                settings, logs, retries, DynamoDB, times, IVS ids, errors, validation
    rules               the taxonomy and the policy (pure)
"""
