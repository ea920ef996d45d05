"""Amazon IVS: channels, stream keys and live streams, the subset the service relies on.

Streams have state here, which moto lacks: a channel is offline until an encoder connects
with its stream key (admin API: ``POST /_emulator/encoder/connect``), then GetStream and
ListStreams show it LIVE until StopStream or the encoder disconnects. As in IVS: a channel
has at most one stream key (CreateStreamKey answers ServiceQuotaExceededException), a
deleted key does not end the stream it started but can no longer connect, and a live
channel cannot be deleted (ConflictException).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from local.emulator.clock import Clock, rfc3339
from local.emulator.events import EventBus, stream_state_change
from local.emulator.faults import Faults
from local.emulator.wire import AdminError, Params, RestJsonService, random_id

# What CreateChannel gives the members a request leaves out.
CHANNEL_DEFAULTS: dict[str, Any] = {
    "name": "",
    "latencyMode": "LOW",
    "type": "STANDARD",
    "recordingConfigurationArn": "",
    "authorized": False,
    "tags": {},
    "insecureIngest": False,
    "preset": "",
    "playbackRestrictionPolicyArn": "",
    "multitrackInputConfiguration": {
        "enabled": False,
        "maximumResolution": "FULL_HD",
        "policy": "ALLOW",
    },
    "containerFormat": "TS",
    "adConfigurationArn": "",
    "failoverSlateConfigurationArn": "",
}
# ListChannels filters (at most one at a time) and the channel member each one matches.
CHANNEL_FILTERS = {
    "filterByName": "name",
    "filterByRecordingConfigurationArn": "recordingConfigurationArn",
    "filterByPlaybackRestrictionPolicyArn": "playbackRestrictionPolicyArn",
    "filterByAdConfigurationArn": "adConfigurationArn",
    "filterByFailoverSlateConfigurationArn": "failoverSlateConfigurationArn",
}


class Ivs(RestJsonService):
    name = "ivs"
    message_field = "exceptionMessage"
    internal_error_code = "InternalServerException"

    def __init__(
        self, faults: Faults, clock: Clock, region: str, account: str, events: EventBus
    ) -> None:
        super().__init__(faults)
        self._clock = clock
        self._events = events
        self._region = region
        self._account = account
        self.channels: dict[str, dict[str, Any]] = {}
        self.stream_keys: dict[str, dict[str, Any]] = {}
        self.streams: dict[str, dict[str, Any]] = {}  # live streams by channel ARN
        self.operations = {
            "CreateChannel": self.create_channel,
            "GetChannel": self.get_channel,
            "BatchGetChannel": self.batch_get_channel,
            "ListChannels": self.list_channels,
            "DeleteChannel": self.delete_channel,
            "CreateStreamKey": self.create_stream_key,
            "GetStreamKey": self.get_stream_key,
            "ListStreamKeys": self.list_stream_keys,
            "DeleteStreamKey": self.delete_stream_key,
            "GetStream": self.get_stream,
            "ListStreams": self.list_streams,
            "StopStream": self.stop_stream,
        }

    async def create_channel(self, params: Params, request_id: str) -> dict[str, Any]:
        channel_id = random_id()
        arn = f"arn:aws:ivs:{self._region}:{self._account}:channel/{channel_id}"
        host = secrets.token_hex(6)
        playback = f"{host}.{self._region}.playback.live-video.net/api/video/v1"
        channel = {
            **CHANNEL_DEFAULTS,
            **self.project("Channel", params),
            "arn": arn,
            "ingestEndpoint": f"{host}.global-contribute.live-video.net",
            "playbackUrl": f"https://{playback}/{self._region}.{self._account}.channel.{channel_id}.m3u8",
            "srt": {"endpoint": f"{host}.srt.live-video.net", "passphrase": secrets.token_hex(16)},
        }
        self.channels[arn] = channel
        return {"channel": channel, "streamKey": self._new_stream_key(arn, {})}

    async def get_channel(self, params: Params, request_id: str) -> dict[str, Any]:
        return {"channel": self._channel(params["arn"])}

    async def batch_get_channel(self, params: Params, request_id: str) -> dict[str, Any]:
        channels, errors = [], []
        for arn in dict.fromkeys(params["arns"]):  # an ARN asked twice is answered once
            if arn in self.channels:
                channels.append(self.channels[arn])
            else:
                # IVS does not document the code; this is GetChannel's for the same ARN.
                errors.append(
                    {
                        "arn": arn,
                        "code": "ResourceNotFoundException",
                        "message": f"Channel {arn} not found",
                    }
                )
        return {"channels": channels, "errors": errors}

    async def list_channels(self, params: Params, request_id: str) -> dict[str, Any]:
        filters = {name: params[name] for name in CHANNEL_FILTERS if name in params}
        if len(filters) > 1:
            raise self.error("ConflictException", "Only one filter may be used at a time")
        channels = [
            self.project("ChannelSummary", channel)
            for channel in self.channels.values()
            if all(channel[CHANNEL_FILTERS[name]] == value for name, value in filters.items())
        ]
        return self.page(channels, params, "channels", 100)

    async def delete_channel(self, params: Params, request_id: str) -> None:
        arn = self._channel(params["arn"])["arn"]
        if arn in self.streams:
            raise self.error("ConflictException", f"Channel {arn} is live: stop the stream first")
        del self.channels[arn]
        for key in self._keys_of(arn):
            del self.stream_keys[key["arn"]]

    async def create_stream_key(self, params: Params, request_id: str) -> dict[str, Any]:
        arn = self._channel(params["channelArn"])["arn"]
        if self._keys_of(arn):
            raise self.error(
                "ServiceQuotaExceededException", f"Channel {arn} already has its one stream key"
            )
        return {"streamKey": self._new_stream_key(arn, params.get("tags", {}))}

    async def get_stream_key(self, params: Params, request_id: str) -> dict[str, Any]:
        return {"streamKey": self._stream_key(params["arn"])}

    async def list_stream_keys(self, params: Params, request_id: str) -> dict[str, Any]:
        arn = self._channel(params["channelArn"])["arn"]
        keys = [self.project("StreamKeySummary", key) for key in self._keys_of(arn)]
        return self.page(keys, params, "streamKeys", 50)

    async def delete_stream_key(self, params: Params, request_id: str) -> None:
        del self.stream_keys[self._stream_key(params["arn"])["arn"]]

    async def get_stream(self, params: Params, request_id: str) -> dict[str, Any]:
        return {"stream": self._live_stream(params["channelArn"])}

    async def list_streams(self, params: Params, request_id: str) -> dict[str, Any]:
        health = params.get("filterBy", {}).get("health")
        streams = [
            self.project("StreamSummary", stream)
            for stream in self.streams.values()
            if health in (None, stream["health"])
        ]
        return self.page(streams, params, "streams", 100)

    async def stop_stream(self, params: Params, request_id: str) -> dict[str, Any]:
        self._end(self._live_stream(params["channelArn"])["channelArn"])
        return {}

    def connect_encoder(self, stream_key: str) -> dict[str, str]:
        """An encoder starts broadcasting with `stream_key`: its channel goes LIVE."""
        key = next((key for key in self.stream_keys.values() if key["value"] == stream_key), None)
        if key is None:
            raise AdminError(403, "The stream key is not valid (unknown or deleted)")
        arn = key["channelArn"]
        if arn in self.streams:
            raise AdminError(409, f"Channel {arn} is already live")
        started = self._clock.now()
        stream = self.streams[arn] = {
            "channelArn": arn,
            "streamId": "st-" + random_id(23),
            "playbackUrl": self.channels[arn]["playbackUrl"],
            "startTime": rfc3339(started),
            "state": "LIVE",
            "health": "HEALTHY",
            "viewerCount": 0,
        }
        self._state_changed(stream, "Session Created", started)
        self._state_changed(stream, "Stream Start", started)
        return {"channelArn": arn, "streamId": stream["streamId"]}

    def disconnect_encoder(self, channel_arn: str) -> None:
        """The channel's encoder stops: the channel goes offline (if it was live)."""
        if channel_arn not in self.channels:
            raise AdminError(404, f"No channel {channel_arn}")
        if channel_arn in self.streams:
            self._end(channel_arn)

    def _end(self, channel_arn: str) -> None:
        self._state_changed(self.streams.pop(channel_arn), "Stream End", self._clock.now())

    def _state_changed(self, stream: dict[str, Any], event_name: str, at: datetime) -> None:
        channel = self.channels[stream["channelArn"]]
        self._events.put(
            stream_state_change(channel["arn"], channel["name"], stream["streamId"], event_name, at)
        )

    def snapshot(self) -> list[dict[str, Any]]:
        return [
            {
                "arn": arn,
                "name": channel["name"],
                "streamKeys": [key["arn"] for key in self._keys_of(arn)],
                "stream": self.streams.get(arn),
            }
            for arn, channel in self.channels.items()
        ]

    def _new_stream_key(self, channel_arn: str, tags: dict[str, str]) -> dict[str, Any]:
        arn = f"arn:aws:ivs:{self._region}:{self._account}:stream-key/{random_id()}"
        key = {
            "arn": arn,
            "value": f"sk_{self._region}_{random_id(36)}",
            "channelArn": channel_arn,
            "tags": tags,
        }
        self.stream_keys[arn] = key
        return key

    def _keys_of(self, channel_arn: str) -> list[dict[str, Any]]:
        return [key for key in self.stream_keys.values() if key["channelArn"] == channel_arn]

    def _channel(self, arn: str) -> dict[str, Any]:
        if arn not in self.channels:
            raise self.error("ResourceNotFoundException", f"Channel {arn} not found")
        return self.channels[arn]

    def _stream_key(self, arn: str) -> dict[str, Any]:
        if arn not in self.stream_keys:
            raise self.error("ResourceNotFoundException", f"Stream key {arn} not found")
        return self.stream_keys[arn]

    def _live_stream(self, channel_arn: str) -> dict[str, Any]:
        arn = self._channel(channel_arn)["arn"]
        if arn not in self.streams:
            raise self.error("ChannelNotBroadcasting", f"Channel {arn} is not broadcasting")
        return self.streams[arn]
