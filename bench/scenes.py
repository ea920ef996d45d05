"""Replayed streams for the cost benchmarks: a static camera, a slide, a talking head and
fast cuts, made of real photographs as a camera films them (local/footage.py).

Each is a sequence of 640x360 JPEGs, one per thumbnail interval, the same on every run
(seeded), on the held-out photographs. Some frames are violating: a foreign object (a crop
of another photograph, 2% of the frame in the first segment and 1% in the second) comes into
view for a few frames, as it would on a real stream. The benchmark knows which frames those
are (the ground truth) and the fake Rekognition finds labels in them only.
"""

from __future__ import annotations

import functools

from local.footage import ForeignObject, Scene

SIZE = (640, 360)
FRAMES = 200
# Frames in which something violating is in view (two segments per stream), and what it is.
SEGMENTS = (
    (range(60, 65), ForeignObject("moon", 0.02, seed=60)),
    (range(140, 143), ForeignObject("brick", 0.01, seed=140)),
)
VIOLATING = {n for frames_, _ in SEGMENTS for n in frames_}
SCENES = {
    "static camera": ("static", "rocket"),
    "slide": ("slide", "chelsea"),
    "talking head": ("talking head", "astronaut"),
    "fast cuts": ("cuts", "astronaut"),  # every frame another photograph
}


@functools.cache
def frames(scene: str, count: int = FRAMES) -> tuple[tuple[bytes, bool], ...]:
    """The scene's frames, each with whether it is violating."""
    kind, photo = SCENES[scene]
    footage = Scene(kind, photo, SIZE, seed=31)
    objects = {n: obj for frames_, obj in SEGMENTS for n in frames_}
    return tuple((footage.frame(n, objects.get(n)), n in objects) for n in range(count))
