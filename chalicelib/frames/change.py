"""Has the scene changed? A test that looks at every part of the frame, for frame skipping.

A frame may reuse the decision of the channel's last analysed frame only if nothing new has
come into view: a new object covering 1% of the frame must count as change wherever it is,
while the camera's own variations — jitter of a few pixels, brightness flicker, sensor
noise, JPEG re-encoding — must not. A whole-frame hash cannot do both (a small object moves
too few of its 64 bits), so this compares the two frames part by part:

1. **Signature** (`signature`, ~4 KB, kept with the channel's reference frame): the frame
   on a grid of ~160x90 cells (of the thumbnail's aspect ratio, whatever its size), decoded
   cheaply in YCbCr by JPEG's `draft()` at 1/2 to 1/8 of its size, the luma softened by a
   box blur of half a cell (so that a sub-cell shift of a thin line, text say, moves its
   cells' values gradually), stored as a quality-90 JPEG with chroma at half resolution. A
   1% object still spans ~144 cells. The header keeps the thumbnail's size (only like is
   compared with like: another size or aspect ratio is change), each plane's mean and
   spread, and 10x10-cell luma block means: a block far off (48 levels) is plainly another
   scene, with no need to look closer.
2. **Brightness**: each plane of the new frame is mapped to the reference's mean and
   spread (gain bounded to 0.8-1.25): auto-exposure and flicker are global, an object is not.
3. **Motion search per cell**: a cell is unchanged if its value lies within the range of
   the other frame's 3x3 neighbourhood, widened by a fifth of that range: any shift of up to
   a cell (4 px of a 640x360 thumbnail) lands inside it. This is checked both ways, so a flat
   object over texture stands out as well as a textured one over a flat wall. What lies
   outside, less a noise allowance, is the cell's *excess*; luma and both chroma planes
   count (chroma twice), so an object as bright as what it covers but of another colour is
   seen.
4. **Sliding windows**: the excess is averaged over every 7x7-cell window, at every
   position (so an object straddling any block border is whole in some window); the score
   is the largest window mean. Camera noise leaves scattered cells of excess that a window
   averages away; an object fills windows with it. The two outermost cells of each edge are
   left out: jitter brings new content in there.

`THRESHOLD` was chosen on photographs and seeds that the benchmark does not report on
(`TUNING` in local/footage.py): 280 near-identical pairs of a static camera or a slide
scored 4.25 or less but one (4.5), objects of 1% of the frame or more 8.75 or more. It is
deliberately not a setting: raising it would trade missed violations for savings unseen.

Pillow only: every step is one of its C operations (ImageChops, BoxBlur, histogram, point)
on small planes stacked into one image. numpy would add 66 MB unpacked to the deployment
package and 0.1-0.2 s to each cold start, for a grid this small. Pillow itself is imported
on first use, not when this module is.
"""

from __future__ import annotations

import functools
import io
import math
import operator
import struct
from dataclasses import dataclass

CELLS = 160 * 90  # the signature's grid, whatever the thumbnail's aspect ratio
THRESHOLD = 4.5  # a window mean of excess (levels) from which the frame has changed
_SOFTEN = 0.5  # luma box blur radius, in cells: a quarter of each neighbour mixed in
_QUALITY = 90  # of the signature's JPEG (chroma at half resolution, as JPEG keeps it)
_WIDEN = 5  # a neighbourhood's range is widened by 1/_WIDEN of itself
_LUMA_TOLERANCE, _CHROMA_TOLERANCE, _CHROMA_WEIGHT = 2, 1, 2
_BORDER = 2  # cells left out at each edge: jitter brings new content in there
_WINDOW = 3  # radius, in cells: 7x7 windows
_SCALE = 4  # excess is kept x4 in 8-bit images: a quarter of a level of resolution
_BLOCK = 10  # cells a side of the coarse luma blocks kept in the header
_APART = 48  # a block mean this far off (levels, brightness matched) is plainly a new scene
_MAGIC = b"CHG2"
# magic, thumbnail width and height, mean and spread of Y, Cb and Cr; then the block means
_HEADER = struct.Struct(">4sHH6f")


class NotAnImage(Exception):
    """The bytes are not an image Pillow can read: let Rekognition say what is wrong."""


@dataclass(frozen=True)
class Change:
    """How two frames compare: `changed` if `score` reaches THRESHOLD; `region` is the
    bounding box (x0, y0, x1, y1, fractions of the frame) of the windows that did."""

    changed: bool
    score: float  # math.inf: not comparable (size, format), or plainly another scene
    region: tuple[float, float, float, float] | None = None


def signature(image: bytes) -> bytes:
    """The compact signature of a JPEG or PNG frame (a few KB), to compare later frames with."""
    from PIL import Image, ImageFilter, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as picture:
            width, height = picture.size
            grid = _grid(width, height)
            picture.draft("YCbCr", grid)  # JPEG: decoded at 1/2..1/8 of its size, in YCbCr
            frame = picture if picture.mode == "YCbCr" else picture.convert("RGB")
            frame = frame.convert("YCbCr")
            if frame.size != grid:
                frame = frame.resize(grid, Image.Resampling.BOX)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise NotAnImage(str(error)) from error
    luma, cb, cr = frame.split()
    luma = luma.filter(ImageFilter.BoxBlur(_SOFTEN))
    moments = [m for plane in (luma, cb.reduce(2), cr.reduce(2)) for m in _moments(plane)]
    buffer = io.BytesIO()
    Image.merge("YCbCr", (luma, cb, cr)).save(buffer, format="JPEG", quality=_QUALITY)
    header = _HEADER.pack(_MAGIC, width, height, *moments)
    return header + luma.reduce(_BLOCK).tobytes() + buffer.getvalue()


def compare(reference: bytes, frame: bytes) -> Change:
    """Whether `frame` has changed from `reference` (both signatures), and by how much."""
    from PIL import ImageChops, ImageFilter

    old, new = _header(reference), _header(frame)
    if old is None or new is None or old[0] != new[0]:
        return Change(changed=True, score=math.inf)  # another size, or an unknown format
    apart = _blocks_apart(old, new)
    if apart is not None:  # plainly another scene: no need to look cell by cell
        return Change(changed=True, score=math.inf, region=apart)
    a, b = _planes(reference[old[3] :]), _planes(frame[new[3] :])
    if a is None or b is None or a[0].size != b[0].size:
        return Change(changed=True, score=math.inf)
    pairs = zip(b, new[1], old[1], strict=True)
    b = tuple(_match(plane, *ours, *theirs) for plane, ours, theirs in pairs)
    width, height = a[0].size  # the grid's
    # Both frames side by side, twice (a|b and b|a): one neighbourhood of a|b and one
    # comparison with b|a check b against a's ranges and a against b's at once.
    ab, ba = _stack(a + b), _stack(b + a)
    excess = _outside(ba, *_neighbourhood(ab))
    half = excess.width // 2
    excess = ImageChops.lighter(
        excess.crop((0, 0, half, excess.height)), excess.crop((half, 0, 2 * half, excess.height))
    )
    total = _weigh(excess, width, height)
    inner = total.crop((_BORDER, _BORDER, width - _BORDER, height - _BORDER))
    if min(inner.size) < 1:
        inner = total
    windows = inner.filter(ImageFilter.BoxBlur(_WINDOW))
    score = windows.getextrema()[1] / _SCALE
    if score < THRESHOLD:
        return Change(changed=False, score=score)
    return Change(changed=True, score=score, region=_region(windows, inner, width, height))


def _grid(width: int, height: int) -> tuple[int, int]:
    """About CELLS cells of the frame's aspect ratio."""
    across = max(1, min(width, round(math.sqrt(CELLS * width / height))))
    down = max(1, min(height, round(across * height / width)))
    return across, down


def _header(signature_bytes: bytes):
    """(thumbnail size, each plane's mean and spread, the luma block means, where the JPEG
    starts), or None if these are not a signature's bytes."""
    if len(signature_bytes) <= _HEADER.size:
        return None
    magic, width, height, *moments = _HEADER.unpack_from(signature_bytes)
    if magic != _MAGIC or not width or not height:
        return None
    across, down = (-(-side // _BLOCK) for side in _grid(width, height))
    end = _HEADER.size + across * down
    if len(signature_bytes) <= end:
        return None
    blocks = (across, signature_bytes[_HEADER.size : end])
    pairs = tuple(tuple(moments[i : i + 2]) for i in range(0, 6, 2))
    return (width, height), pairs, blocks, end


def _blocks_apart(old, new) -> tuple[float, float, float, float] | None:
    """Where luma blocks of _BLOCK x _BLOCK cells differ by _APART levels or more once
    brightness is matched (fractions of the frame), or None if none does."""
    (across, ours), (_, theirs) = old[2], new[2]
    gain, offset = _gain(*new[1][0], *old[1][0])
    pairs = enumerate(zip(ours, theirs, strict=True))
    far = [i for i, (a, b) in pairs if abs(a - b * gain - offset) >= _APART]
    if not far:
        return None
    columns, rows = [i % across for i in far], [i // across for i in far]
    box = (min(columns), min(rows), max(columns) + 1, max(rows) + 1)
    return _fractions(box, across, len(ours) // across)


@functools.lru_cache(maxsize=8)  # a channel's reference is compared with several frames
def _planes(stored: bytes):
    """(Y, Cb, Cr) of a signature's JPEG: luma on the grid, chroma at half of it; or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(stored)) as picture:
            picture.draft("YCbCr", picture.size)  # the stored values, not converted to RGB
            luma, cb, cr = picture.convert("YCbCr").split()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return luma, cb.reduce(2), cr.reduce(2)


def _gain(mean: float, spread: float, target_mean: float, target_spread: float):
    """The gain (bounded to 0.8-1.25) and offset that map a mean and spread to the target's:
    auto-exposure and flicker are global."""
    gain = min(max(target_spread / max(spread, 1e-3), 0.8), 1.25)
    return gain, target_mean - gain * mean


def _match(plane, *moments: float):
    """`plane` with its mean and spread mapped to the target's (`_gain`'s arguments)."""
    gain, offset = _gain(*moments)
    return plane.point([v * gain + offset for v in _LEVELS])  # rounded and clipped by Pillow


def _moments(plane) -> tuple[float, float]:
    """Mean and standard deviation of an 8-bit plane, from its histogram."""
    counts = plane.histogram()
    n = sum(counts) or 1
    mean = sum(map(operator.mul, counts, _LEVELS)) / n
    square = sum(map(operator.mul, counts, _SQUARES)) / n
    return mean, math.sqrt(max(square - mean * mean, 0.0))


def _stack(planes):
    """Planes (Y, Cb, Cr of one frame, then of another) in one 8-bit image: each frame's luma
    above its Cb and Cr side by side, the second frame to the right of the first, so that one
    operation does them all. Where planes meet is the edge of each: left out of the score."""
    from PIL import Image

    luma, cb = planes[:2]
    part = max(luma.width, 2 * cb.width)  # the width of one frame's planes
    stacked = Image.new("L", (2 * part, luma.height + cb.height))
    for left, (y, u, v) in ((0, planes[:3]), (part, planes[3:])):
        stacked.paste(y, (left, 0))
        stacked.paste(u, (left, y.height))
        stacked.paste(v, (left + u.width, y.height))
    return stacked


def _outside(frame, low, high):
    """Per cell, how far `frame` lies outside [low, high] (a neighbourhood's range) widened
    by 1/_WIDEN of that range on each side: its distance from the range's middle, less
    half the range and the widening."""
    from PIL import ImageChops

    middle = ImageChops.add(high, low, scale=2.0)
    reach = ImageChops.subtract(high, low, scale=1 / (0.5 + 1 / _WIDEN))
    return ImageChops.subtract(ImageChops.difference(frame, middle), reach)


def _neighbourhood(image):
    """The 3x3 minimum and maximum of each cell, separably. The shifts wrap around, which
    only affects cells at the edges of the planes, left out of the score."""
    from PIL import ImageChops

    low = high = image
    for dx, dy in ((1, 0), (0, 1)):
        back, forth = ImageChops.offset(low, dx, dy), ImageChops.offset(low, -dx, -dy)
        low = ImageChops.darker(ImageChops.darker(low, back), forth)
        back, forth = ImageChops.offset(high, dx, dy), ImageChops.offset(high, -dx, -dy)
        high = ImageChops.lighter(ImageChops.lighter(high, back), forth)
    return low, high


def _weigh(excess, width: int, height: int):
    """One grid of excess, x _SCALE: luma's less its tolerance, plus both chroma planes'
    (less theirs, weighted), each chroma cell counted on the four luma cells it covers."""
    from PIL import Image, ImageChops

    chroma_width = (width + 1) // 2
    chroma_height = excess.height - height
    # (excess - tolerance) * weight * _SCALE, clipped to 0..255, in one C operation each
    luma = excess.crop((0, 0, width, height))
    luma = ImageChops.subtract(luma, Image.new("L", luma.size, _LUMA_TOLERANCE), scale=1 / _SCALE)
    chroma = excess.crop((0, height, 2 * chroma_width, excess.height))
    chroma = ImageChops.subtract(
        chroma, Image.new("L", chroma.size, _CHROMA_TOLERANCE), scale=1 / (_SCALE * _CHROMA_WEIGHT)
    )
    cb = chroma.crop((0, 0, chroma_width, chroma_height))
    cr = chroma.crop((chroma_width, 0, 2 * chroma_width, chroma_height))
    both = ImageChops.add(cb, cr).resize(
        (2 * chroma_width, 2 * chroma_height), Image.Resampling.NEAREST
    )
    return ImageChops.add(luma, both.crop((0, 0, width, height)))


def _region(windows, inner, width: int, height: int) -> tuple[float, float, float, float] | None:
    """The bounding box of the windows that reach THRESHOLD, in fractions of the frame."""
    limit = math.ceil(THRESHOLD * _SCALE)
    box = windows.point([255 if v >= limit else 0 for v in _LEVELS]).getbbox()
    if box is None:
        return None
    offset = _BORDER if inner.size != (width, height) else 0
    x0, y0, x1, y1 = (v + offset for v in box)  # windows' centres, grown by their radius
    return _fractions((x0 - _WINDOW, y0 - _WINDOW, x1 + _WINDOW, y1 + _WINDOW), width, height)


def _fractions(box, width: int, height: int) -> tuple[float, float, float, float]:
    """A box in cells as fractions of a `width` x `height` grid, within the frame."""
    x0, y0, x1, y1 = box
    return (
        max(0.0, x0 / width),
        max(0.0, y0 / height),
        min(1.0, x1 / width),
        min(1.0, y1 / height),
    )


_LEVELS = range(256)
_SQUARES = [v * v for v in _LEVELS]
