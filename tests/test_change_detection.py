"""The change test behind frame skipping, on real photographs (local/footage.py).

A frame that reuses a decision is never sent to Rekognition, so "unchanged" must never be
said of a frame with something new in it: an object of 1% of the frame or more, anywhere.
Camera jitter, flicker, noise and JPEG alone must not count, or nothing would be saved.
The photographs are the benchmark's held-out ones, with seeds of these tests' own.
"""

from __future__ import annotations

import functools
import io
import math
import random

import pytest
from PIL import Image

from chalicelib.frames.change import THRESHOLD, NotAnImage, compare, signature
from local.footage import HELD_OUT, ForeignObject, Scene

SD, HD = (640, 360), (1280, 720)
SCENES = [
    ("static", "rocket"),
    ("static", "chelsea"),
    ("slide", "astronaut"),
    ("talking head", "astronaut"),
]


@functools.cache
def scene(kind: str, photo: str, size: tuple[int, int]) -> Scene:
    return Scene(kind, photo, size, seed=9100)


@functools.cache
def reference(kind: str, photo: str, size: tuple[int, int]) -> bytes:
    return signature(scene(kind, photo, size).frame(0))


def objects(photo: str, shares: tuple[float, ...], per_share: int, seed: int):
    """Seeded foreign objects cut from the other held-out photographs."""
    rng = random.Random(seed)
    sources = [name for name in HELD_OUT["objects"] if name != photo]
    return [
        ForeignObject(rng.choice(sources), share, rng.getrandbits(32))
        for share in shares
        for _ in range(per_share)
    ]


@pytest.mark.parametrize("size", [SD, HD], ids=["640x360", "1280x720"])
@pytest.mark.parametrize(("kind", "photo"), SCENES)
def test_an_object_of_one_percent_or_more_is_always_change(kind, photo, size):
    # GIVEN the channel's reference frame, and later frames of the same scene (re-jittered,
    # flickering, noisy, re-encoded) each with a crop of another photograph somewhere in it
    per_share = 3 if size == SD else 1
    seed = SCENES.index((kind, photo))
    placed = objects(photo, (0.01, 0.02, 0.05, 0.2), per_share, seed=seed)

    # WHEN each is compared with the reference
    missed = []
    for n, obj in enumerate(placed, start=1):
        change = compare(
            reference(kind, photo, size), signature(scene(kind, photo, size).frame(n, obj))
        )
        if not change.changed:
            missed.append((obj, change.score))

    # THEN every one of them has changed
    assert missed == []


def test_camera_jitter_flicker_noise_and_jpeg_alone_are_rarely_change():
    # GIVEN the static and slide scenes at both sizes, and the six frames after each
    # reference (up to 30 s later at a 5 s interval): nothing new, only the camera's variation
    scores = [
        compare(reference(kind, photo, size), signature(scene(kind, photo, size).frame(n))).score
        for kind, photo in SCENES
        if kind != "talking head"
        for size in (SD, HD)
        for n in range(1, 7)
    ]

    # THEN at least 90% of them are unchanged (a frame judged changed only costs a call);
    # the seeded set is fixed, so this is the same 36 frames on every run
    unchanged = sum(score < THRESHOLD for score in scores)
    assert unchanged >= 0.9 * len(scores), sorted(scores)


def test_the_changed_region_is_where_the_object_is():
    static = scene("static", "rocket", SD)
    obj = ForeignObject("moon", 0.02, seed=4242)
    (left, top), crop = static.place(obj, 1).position, static.place(obj, 1).crop

    change = compare(reference("static", "rocket", SD), signature(static.frame(1, obj)))

    assert change.changed
    x0, y0, x1, y1 = change.region
    centre = ((left + crop.width / 2) / SD[0], (top + crop.height / 2) / SD[1])
    assert x0 <= centre[0] <= x1 and y0 <= centre[1] <= y1
    assert (x1 - x0) * (y1 - y0) < 0.25  # a part of the frame, not all of it


def test_an_object_as_bright_as_what_it_covers_but_of_another_colour_is_change():
    static = scene("static", "chelsea", SD)
    frame = Image.open(io.BytesIO(static.frame(1))).convert("YCbCr")
    # Over a patch of 1.5% of the frame, the same luma with the chroma turned around.
    box = (300, 150, 390, 246)
    luma, cb, cr = frame.crop(box).split()
    recoloured = Image.merge("YCbCr", (luma, cr.point(lambda v: 255 - v), cb)).convert("RGB")
    picture = frame.convert("RGB")
    picture.paste(recoloured, box[:2])
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)

    assert compare(reference("static", "chelsea", SD), signature(buffer.getvalue())).changed


def test_another_size_or_aspect_ratio_is_change():
    static_hd = signature(scene("static", "rocket", HD).frame(1))
    other_aspect = io.BytesIO()
    Image.open(io.BytesIO(scene("static", "rocket", SD).frame(1))).resize((640, 480)).save(
        other_aspect, format="JPEG"
    )

    for other in (static_hd, signature(other_aspect.getvalue())):
        change = compare(reference("static", "rocket", SD), other)
        assert change.changed and change.score == math.inf


def test_a_signature_is_a_few_kilobytes():
    for size in (SD, HD):
        assert len(reference("static", "rocket", size)) <= 8 * 1024


def test_bytes_that_are_not_an_image_raise_not_an_image():
    whole = scene("static", "rocket", SD).frame(1)
    for garbage in (b"not an image", b"GIF89a not a gif", whole[: len(whole) // 3], b""):
        with pytest.raises(NotAnImage):
            signature(garbage)


def test_what_is_not_a_signature_compares_as_changed():
    assert compare(b"not a signature", reference("static", "rocket", SD)).changed
    assert compare(reference("static", "rocket", SD), b"CHG1\x02\x80\x01\x68garbage").changed


def test_another_scene_is_change_without_a_closer_look():
    other = signature(scene("static", "chelsea", SD).frame(1))

    change = compare(reference("static", "rocket", SD), other)

    assert change.changed and change.score == math.inf  # the coarse blocks already differ
    x0, y0, x1, y1 = change.region
    assert (x1 - x0) * (y1 - y0) > 0.5
