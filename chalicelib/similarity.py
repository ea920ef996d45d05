"""Near-duplicate frames: a perceptual hash, so a static scene is not paid for every interval.

A difference hash (dHash): the frame shrunk to 9x8 grey pixels, one bit per pair of
horizontal neighbours (is the left one brighter?). Frames that look alike have hashes a
few bits apart, whatever their JPEG bytes; a changed scene moves many bits.
"""

from __future__ import annotations

import io

HASH_BITS = 64


class NotAnImage(Exception):
    """The bytes are not an image Pillow can read: let Rekognition say what is wrong."""


def dhash(image: bytes) -> int:
    """The 64-bit difference hash of a JPEG or PNG."""
    from PIL import Image, UnidentifiedImageError  # imported on first use: cold starts

    try:
        with Image.open(io.BytesIO(image)) as picture:
            picture.draft("L", (160, 90))  # JPEG: decode at a fraction of the size, faster
            small = picture.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise NotAnImage(str(error)) from error
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        for column in range(8):
            left, right = pixels[row * 9 + column], pixels[row * 9 + column + 1]
            value = (value << 1) | (left > right)
    return value


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return (a ^ b).bit_count()
