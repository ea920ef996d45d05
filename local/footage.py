"""Thumbnails of real photographs as a live camera delivers them: the one scene maker of the
benchmarks, the tests and the local simulator.

The photographs are scikit-image's bundled samples (`skimage.data`, shipped in its wheel:
nothing is downloaded). A `Scene` is one photograph framed at a thumbnail size; every frame
goes through a camera model — jitter of up to ±2 px (sub-pixel), brightness flicker (gain
±8%, offset ±5 levels), Gaussian sensor noise (sigma 2-4 levels) and JPEG at quality 70-85 —
so no two frames have the same bytes, as on a real stream. Scene kinds:

- ``static``: a fixed camera on the photograph;
- ``slide``: a "be right back" screen — flat colour, text, a small inset of the photograph;
- ``talking head``: the photograph's subject moves (±3 px) and scales (±3%) from frame to
  frame, the rest stays put;
- ``cuts``: every frame another photograph, framed differently (a fast game, camera cuts).

A *foreign object* is a crop of another photograph covering a share of the frame (aspect
ratio 1:3 to 3:1), pasted into the scene before the camera model, so it is jittered,
flickered, noised and compressed with the rest. A crop that would be near-invisible where it
lands (its pixels differ from what they cover by less than `VISIBLE` levels on average, e.g.
black sky over a black coat) is drawn again, elsewhere: `Placement.redraws` counts those.

Tuning and reporting use different photographs (`TUNING`, `HELD_OUT`) and seeds.
Everything is seeded: the same arguments give the same bytes.
"""

from __future__ import annotations

import functools
import io
import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

KINDS = ("static", "slide", "talking head")
SIZES = ((640, 360), (1280, 720))
OBJECT_SHARES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
VISIBLE = 20  # mean absolute difference (levels, RGB) from what the object covers

# Photograph: (skimage.data loader, share of the spare height kept above when framed at
# 16:9, the subject that moves in a talking-head scene as fractions x0, y0, x1, y1).
_PHOTOS = {
    "astronaut": ("astronaut", 0.0, (0.28, 0.0, 0.72, 0.50)),
    "rocket": ("rocket", 0.5, (0.42, 0.15, 0.62, 0.80)),
    "chelsea": ("chelsea", 0.3, (0.25, 0.10, 0.80, 0.85)),
    "coffee": ("coffee", 0.5, (0.15, 0.05, 0.85, 0.70)),
    "camera": ("camera", 0.1, (0.25, 0.05, 0.70, 0.80)),
    "motorcycle": ("stereo_motorcycle", 0.5, (0.20, 0.20, 0.80, 0.80)),
    "hubble": ("hubble_deep_field", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "retina": ("retina", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "ihc": ("immunohistochemistry", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "coins": ("coins", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "moon": ("moon", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "brick": ("brick", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "gravel": ("gravel", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "grass": ("grass", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "clock": ("clock", 0.5, (0.3, 0.3, 0.7, 0.7)),
    "page": ("page", 0.5, (0.3, 0.3, 0.7, 0.7)),
}
# chalicelib/frames/change.py's threshold was chosen on TUNING (seeds 1000-1039, 5000-5029);
# bench/skip.py reports on HELD_OUT only, with seeds of its own.
TUNING = {
    "scenes": ("coffee", "camera", "motorcycle"),
    "objects": ("hubble", "ihc", "coins", "grass", "page"),
}
HELD_OUT = {
    "scenes": ("astronaut", "rocket", "chelsea"),
    "objects": ("astronaut", "rocket", "chelsea", "retina", "moon", "brick", "gravel", "clock"),
}
_MARGIN = 4  # pixels around the frame, so that jitter never shows an edge


@functools.cache
def photo(name: str) -> Image.Image:
    """A bundled scikit-image photograph, as an RGB image."""
    from skimage import data

    pixels = getattr(data, _PHOTOS[name][0])()
    if isinstance(pixels, tuple):  # stereo_motorcycle: (left, right, disparity)
        pixels = pixels[0]
    return Image.fromarray(pixels).convert("RGB")


def _fill(picture: Image.Image, size: tuple[int, int], top: float = 0.5):
    """`picture` scaled and cropped to `size`, centred across, `top` of the spare height
    above; and the crop box, in the picture's pixels."""
    width, height = size
    scale = max(width / picture.width, height / picture.height)
    box_w, box_h = min(picture.width, width / scale), min(picture.height, height / scale)
    left, up = (picture.width - box_w) / 2, (picture.height - box_h) * top
    box = (left, up, left + box_w, up + box_h)
    return picture.resize(size, Image.Resampling.LANCZOS, box=box), box


@dataclass(frozen=True)
class ForeignObject:
    """A crop of the photograph `source` covering `share` of the frame; `seed` draws its
    shape, crop and place."""

    source: str
    share: float
    seed: int


@dataclass(frozen=True)
class Placement:
    """Where a foreign object landed: its pixels, top-left corner in the frame, and how
    many near-invisible draws were rejected before it."""

    crop: Image.Image
    position: tuple[int, int]
    redraws: int


class Scene:
    """One scene at one thumbnail size; `frame(n)` is its n-th thumbnail (JPEG bytes)."""

    def __init__(self, kind: str, photo_name: str, size: tuple[int, int], seed: int = 0) -> None:
        self.kind, self.photo_name, self.size, self.seed = kind, photo_name, size, seed
        canvas = (size[0] + 2 * _MARGIN, size[1] + 2 * _MARGIN)
        self._subject = None
        self._moved: tuple[int | None, Image.Image | None] = (None, None)
        if kind == "slide":
            self._canvas = _slide(photo_name, canvas, seed)
            return
        _, top, (fx0, fy0, fx1, fy1) = _PHOTOS[photo_name]
        self._canvas, (bx0, by0, bx1, by1) = _fill(photo(photo_name), canvas, top)
        source = photo(photo_name)
        sx, sy = canvas[0] / (bx1 - bx0), canvas[1] / (by1 - by0)
        self._subject = (
            round((fx0 * source.width - bx0) * sx),
            round((fy0 * source.height - by0) * sy),
            round((fx1 * source.width - bx0) * sx),
            round((fy1 * source.height - by0) * sy),
        )

    def canvas(self, n: int) -> Image.Image:
        """What is in front of the camera at frame n (before jitter, flicker, noise, JPEG)."""
        if self.kind == "cuts":
            rng = random.Random(f"{self.seed}/cut/{n}")
            source = photo(rng.choice([name for name in _PHOTOS if name != "page"]))
            zoom = rng.uniform(1.0, 2.0)
            w, h = source.width / zoom, source.height / zoom
            x, y = rng.uniform(0, source.width - w), rng.uniform(0, source.height - h)
            view = source.crop((round(x), round(y), round(x + w), round(y + h)))
            return _fill(view, self._canvas.size)[0]
        if self.kind != "talking head":
            return self._canvas
        if self._moved[0] != n:  # frame(n, obj) needs it twice: to place obj, and to film
            self._moved = (n, self._move_subject(n))
        return self._moved[1]

    def _move_subject(self, n: int) -> Image.Image:
        rng = random.Random(f"{self.seed}/subject/{n}")
        x0, y0, x1, y1 = self._subject
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy, scale = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0.97, 1.03)
        # The subject moved by (dx, dy) and scaled about its centre: sample it from there.
        moved = self._canvas.transform(
            self._canvas.size,
            Image.Transform.AFFINE,
            (1 / scale, 0, cx - (cx + dx) / scale, 0, 1 / scale, cy - (cy + dy) / scale),
            Image.Resampling.BILINEAR,
        )
        mask = Image.new("L", self._canvas.size, 0)
        ImageDraw.Draw(mask).ellipse((x0 + dx, y0 + dy, x1 + dx, y1 + dy), fill=255)
        frame = self._canvas.copy()
        frame.paste(moved, (0, 0), mask.filter(ImageFilter.GaussianBlur(4)))
        return frame

    def place(self, obj: ForeignObject, n: int = 0) -> Placement:
        """Where `obj` goes in frame n: a crop and a place where it is visible."""
        rng = random.Random(obj.seed)
        width, height = self.size
        aspect = math.exp(rng.uniform(math.log(1 / 3), math.log(3)))
        area = obj.share * width * height
        w = min(width, round(math.sqrt(area * aspect)))
        h = min(height, round(area / w))
        source = photo(obj.source)
        scale = max(w / source.width, h / source.height, rng.uniform(0.6, 1.6))
        source = source.resize((round(source.width * scale), round(source.height * scale)))
        scene = self.canvas(n)
        for redraws in range(200):
            x, y = rng.randint(0, source.width - w), rng.randint(0, source.height - h)
            crop = source.crop((x, y, x + w, y + h))
            left, top = rng.randint(0, width - w), rng.randint(0, height - h)
            covered = scene.crop(
                (left + _MARGIN, top + _MARGIN, left + _MARGIN + w, top + _MARGIN + h)
            )
            difference = np.asarray(crop, dtype=np.float32) - np.asarray(covered, dtype=np.float32)
            if np.abs(difference).mean() >= VISIBLE:
                return Placement(crop, (left, top), redraws)
        raise RuntimeError(f"no visible placement for {obj}")

    def frame(self, n: int, obj: ForeignObject | None = None) -> bytes:
        """The n-th thumbnail, with `obj` in it if given."""
        picture = self.canvas(n)
        if obj is not None:
            placed = self.place(obj, n)
            picture = picture.copy()
            picture.paste(placed.crop, (placed.position[0] + _MARGIN, placed.position[1] + _MARGIN))
        return camera(picture, self.size, seed=f"{self.seed}/camera/{n}")


def camera(picture: Image.Image, size: tuple[int, int], *, seed: str) -> bytes:
    """`picture` (`size` and a margin) as a camera delivers it: jittered, flickering, noisy,
    JPEG-compressed."""
    rng = random.Random(seed)
    dx, dy = rng.uniform(-2, 2), rng.uniform(-2, 2)
    margin_x, margin_y = (picture.width - size[0]) / 2, (picture.height - size[1]) / 2
    shifted = picture.transform(
        size,
        Image.Transform.AFFINE,
        (1, 0, margin_x + dx, 0, 1, margin_y + dy),
        Image.Resampling.BILINEAR,
    )
    gain, offset, sigma = rng.uniform(0.92, 1.08), rng.uniform(-5, 5), rng.uniform(2, 4)
    noise = np.random.default_rng(rng.getrandbits(64))
    pixels = np.asarray(shifted, dtype=np.float32) * gain + (offset + 0.5)
    pixels += noise.standard_normal(pixels.shape, dtype=np.float32) * sigma
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=rng.randint(70, 85))
    return buffer.getvalue()


def _slide(inset: str, size: tuple[int, int], seed: int) -> Image.Image:
    """A "be right back" screen: a flat background, a title, a line of text, a photo inset."""
    rng = random.Random(f"{seed}/slide")
    width, height = size
    background = tuple(rng.randint(20, 90) for _ in range(3))
    picture = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(picture)
    title = ImageFont.load_default(size=max(12, height // 7))
    body = ImageFont.load_default(size=max(8, height // 22))
    draw.text((width * 0.06, height * 0.12), "Be right back", font=title, fill=(245, 245, 240))
    line = rng.choice(["The stream resumes in a few minutes", "Stay tuned: back after the break"])
    draw.text((width * 0.06, height * 0.36), line, font=body, fill=(200, 205, 215))
    draw.rectangle((0, height * 0.88, width, height), fill=tuple(c + 30 for c in background))
    draw.text((width * 0.06, height * 0.9), "@channel", font=body, fill=(230, 230, 230))
    inset_size = (round(width * 0.3), round(height * 0.3))
    picture.paste(_fill(photo(inset), inset_size)[0], (round(width * 0.64), round(height * 0.5)))
    return picture
