"""Replayed streams: thumbnails of a static scene, a talking head and a fast game.

Each is a sequence of 320x180 JPEGs, one per thumbnail interval, made with Pillow and the
same on every run (seeded). Some frames are violating: a weapon, or a rude gesture, comes
into the picture for a few frames, as it would on a real stream. The benchmark knows which
frames those are (the ground truth) and the fake Rekognition finds labels in them only.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

SIZE = (320, 180)
FRAMES = 200
# Frames in which something violating is on screen (two segments per stream).
VIOLATING = set(range(60, 65)) | set(range(140, 143))


def _jpeg(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _weapon(draw: ImageDraw.ImageDraw, n: int) -> None:
    x = 150 + (n % 5) * 6
    draw.polygon(
        [(x, 60), (x + 150, 70), (x + 150, 95), (x + 40, 95), (x + 25, 150), (x, 150)],
        fill=(20, 20, 20),
    )
    draw.rectangle((x + 120, 55, x + 160, 100), fill=(200, 30, 30))


def static_scene(n: int, violating: bool) -> bytes:
    """A fixed camera on an empty set; only a small clock in the corner changes."""
    picture = Image.new("RGB", SIZE, (52, 70, 96))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((20, 110, 300, 170), fill=(120, 90, 60))  # a desk
    draw.ellipse((230, 20, 290, 80), fill=(230, 220, 180))  # a lamp
    draw.text((268, 4), f"{n // 12:02d}:{n * 5 % 60:02d}", fill=(255, 255, 255))
    if violating:
        _weapon(draw, n)
    return _jpeg(picture)


def talking_head(n: int, violating: bool) -> bytes:
    """Someone talking to the camera: the head sways, the mouth moves, the eyes blink."""
    rng = random.Random(n)
    picture = Image.new("RGB", SIZE, (200, 205, 210))
    draw = ImageDraw.Draw(picture)
    sway = round(4 * math.sin(n / 3))
    draw.rectangle((90 + sway, 120, 230 + sway, 180), fill=(40, 60, 120))  # shoulders
    draw.ellipse((115 + sway, 25, 205 + sway, 130), fill=(225, 185, 150))  # head
    if n % 10:
        draw.ellipse((140 + sway, 60, 150 + sway, 68), fill=(30, 30, 30))
        draw.ellipse((170 + sway, 60, 180 + sway, 68), fill=(30, 30, 30))
    mouth = rng.randint(2, 12)
    draw.ellipse((148 + sway, 95, 172 + sway, 95 + mouth), fill=(120, 40, 40))
    if violating:  # a raised hand with a rude gesture fills the right of the frame
        draw.rectangle((230, 40, 300, 170), fill=(225, 185, 150))
        draw.rectangle((255, 5, 275, 45), fill=(225, 185, 150))
    return _jpeg(picture)


def fast_game(n: int, violating: bool) -> bytes:
    """A fast game: the camera turns and the whole picture changes from frame to frame."""
    rng = random.Random(1000 + n)
    picture = Image.new("RGB", SIZE, tuple(rng.randint(0, 255) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        x, y = rng.randint(0, 300), rng.randint(0, 160)
        color = tuple(rng.randint(0, 255) for _ in range(3))
        draw.rectangle((x, y, x + rng.randint(10, 120), y + rng.randint(10, 80)), fill=color)
    if violating:
        _weapon(draw, n)
    return _jpeg(picture)


SCENES: dict[str, Callable[[int, bool], bytes]] = {
    "static scene": static_scene,
    "talking head": talking_head,
    "fast game": fast_game,
}


def frames(scene: str, count: int = FRAMES) -> list[tuple[bytes, bool]]:
    """The scene's frames, each with whether it is violating."""
    draw = SCENES[scene]
    return [(draw(n, n in VIOLATING), n in VIOLATING) for n in range(count)]
