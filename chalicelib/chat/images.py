"""Images that chat messages point to, fetched safely for Rekognition.

A chat message is text: an image is a URL in its attributes (`sticker_src`, `image_url`,
`image`, or any attribute whose value is an https URL ending in an image type). Fetching
what a chat user wrote is a server-side request forgery risk, so a URL is fetched only
when it is https, on a host of CHAT_ALLOWED_HOSTS, not an IP address and on the default
port; redirects are not followed; the body is read up to CHAT_IMAGE_MAX_BYTES within
CHAT_IMAGE_TIMEOUT_SECONDS. Anything else is `Unfetchable`, said in words.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from collections.abc import Mapping
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from chalicelib.chat.text import host_allowed

IMAGE_ATTRIBUTES = ("sticker_src", "image_url", "image", "imageUrl")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
MAX_IMAGES = 3  # per message


class Unfetchable(Exception):
    """The image was not fetched, and why."""


def image_urls(attributes: Mapping[str, str]) -> list[str]:
    urls = [attributes[name] for name in IMAGE_ATTRIBUTES if attributes.get(name)]
    for value in attributes.values():
        path = value.lower().split("?")[0]
        if value.lower().startswith("https://") and path.endswith(IMAGE_SUFFIXES):
            urls.append(value)
    return list(dict.fromkeys(urls))[:MAX_IMAGES]


def check_url(url: str, allowed_hosts: tuple[str, ...]) -> str:
    """The URL, if this service may fetch it; Unfetchable otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Unfetchable("not a URL") from None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        raise Unfetchable("only https images are fetched")
    if parts.username or parts.password or port not in (None, 443):
        raise Unfetchable("credentials and ports in image URLs are refused")
    try:
        ipaddress.ip_address(host)
        raise Unfetchable("images are fetched by host name, never by address")
    except ValueError:
        pass
    if not host_allowed(host, allowed_hosts):
        raise Unfetchable(f"{host or 'that host'} is not an allowed image host")
    return parts.geturl()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        raise Unfetchable("image URLs that redirect are refused")


_OPENER = urllib.request.build_opener(_NoRedirects)


def fetch(url: str, *, max_bytes: int, timeout: float) -> bytes:
    """The image's bytes (a URL that `check_url` passed); Unfetchable when it cannot be."""
    request = urllib.request.Request(url, headers={"User-Agent": "ivs-moderation"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:  # the URL was checked
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise Unfetchable(f"the image is larger than {max_bytes} bytes")
            body = response.read(max_bytes + 1)
    except (HTTPError, URLError, TimeoutError, OSError) as error:
        raise Unfetchable(f"the image could not be fetched: {error}") from None
    if len(body) > max_bytes:
        raise Unfetchable(f"the image is larger than {max_bytes} bytes")
    return body
