"""The simulated visual world: procedural grayscale movies with ground-truth latents.

A movie is a sequence of segments separated by cuts. Each segment shows a textured
background (1/f noise, drifting rigidly with the observer's self-motion, i.e. uniform
optic flow) and usually one object: a shape class (``SHAPES``) filled with a texture class
(``TEXTURES``) drawn independently of the shape, at a random position, size and pose,
moving with its own velocity relative to the background and bouncing off the frame edges.
Object and background differ in mean luminance by an offset of random sign and have
independently drawn contrasts, and every shape has the same area
(``brainlike.simulate.sprites``), so the shape is carried by the outline, not by luminance or
size.

Latents are per frame (``Movie.latents``). Velocities are on screen, in px/frame, with
angles ``atan2(vy, vx)`` in image coordinates (x to the right, y downwards). When the
object reaches a frame edge, its on-screen velocity along that axis reverses, and so do its
relative velocity and the background's (as if the observer turned with it): the relative
speed stays the one drawn from ``MovieWorld.object_speed`` and stays independent of the
self-motion, which a reflection of the on-screen velocity alone would break. Object fields
are NaN (floats) or -1 (ints) in frames without one; there the background keeps its
velocity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brainlike.simulate import sprites

SHAPES: tuple[str, ...] = ("disc", "square", "triangle", "cross")
TEXTURES: tuple[str, ...] = ("stripes", "checks", "dots", "blobs")
N_DIRECTIONS = 8

#: Side of the periodic background canvas, in frame sizes: large enough that the wrap-around
#: of a drifting background is not seen as a repeat within a segment.
_CANVAS_FACTOR = 2
#: Mean luminance of the background, and the largest offset of the background's mean from it.
_MEAN = 0.5
_MEAN_JITTER = 0.05
#: Size of the offset of the object's mean luminance from the background's, its sign drawn
#: at random: the silhouette stands out (an early area sees an object) while the mean
#: luminance, averaged over scenes, says nothing about which shape it is.
_OBJECT_OFFSET = (0.1, 0.25)
#: Luminance s.d. of the object's texture and of the background, each drawn independently.
_OBJECT_CONTRAST = (0.03, 0.1)
_CONTRAST = (0.02, 0.08)
#: Texture period relative to the object's radius (the pattern scales with the object; coarse
#: enough to survive the models' 2x downsampling).
_WAVELENGTH_PER_RADIUS = (0.5, 1.0)
#: Blob s.d. as a fraction of the texture period.
_BLOB_SCALE = 0.3

LATENT_DTYPES: dict[str, type] = {
    "shape": np.int16, "texture": np.int16, "x": np.float32, "y": np.float32,
    "radius": np.float32, "object_vx": np.float32, "object_vy": np.float32,
    "background_vx": np.float32, "background_vy": np.float32, "rel_direction": np.float32,
    "rel_speed": np.float32, "direction_class": np.int16, "segment": np.int32,
}


@dataclass(frozen=True)
class MovieWorld:
    """Parameters of the world; sizes in px, speeds in px/frame, ranges (low, high).

    object_speed: speed of the object RELATIVE to the background when a segment starts.
    self_motion_speed: speed of the background (optic flow from self-motion).
    radius: bounding radius of the object.
    blank_probability: chance that a segment of ``render_movie`` shows no object.
    """

    size: int = 64
    fps: float = 30.0
    segment_frames: tuple[int, int] = (15, 30)
    object_speed: tuple[float, float] = (0.5, 3.0)
    self_motion_speed: tuple[float, float] = (0.0, 2.0)
    radius: tuple[float, float] = (12.0, 20.0)
    blank_probability: float = 0.1

    def __post_init__(self) -> None:
        for name in ("segment_frames", "object_speed", "self_motion_speed", "radius"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise ValueError(f"{name} must be (low, high) with 0 <= low <= high, "
                                 f"found {getattr(self, name)}")
        if self.segment_frames[0] < 1:
            raise ValueError(f"segment_frames must be >= 1, found {self.segment_frames}")
        if not 2 * self.radius[1] < self.size:
            raise ValueError(f"radius {self.radius} does not fit a frame of {self.size} px")
        if not 0 <= self.blank_probability <= 1:
            raise ValueError(f"blank_probability must be in [0, 1], "
                             f"found {self.blank_probability}")


@dataclass
class Movie:
    """frames: (T, H, W) float32 in [0, 1]; latents: name -> (T,) array (``LATENT_DTYPES``)."""

    frames: np.ndarray
    latents: dict[str, np.ndarray]


@dataclass(frozen=True)
class _Segment:
    """Everything random about one segment (shape = -1: no object)."""

    n_frames: int
    shape: int
    texture: int
    radius: float
    pose: float             # object rotation (rad)
    start: tuple[float, float]           # object centre (x, y) at the first frame
    rel_velocity: tuple[float, float]    # object minus background, at the first frame
    background_velocity: tuple[float, float]
    background_offset: tuple[float, float]
    background_mean: float
    background_contrast: float
    object_mean: float
    object_contrast: float
    wavelength: float
    texture_angle: float    # of the texture within the object (rad)
    texture_phase: tuple[float, float]
    seed: int               # of the noise canvases


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    # Always one draw, so worlds with other ranges consume the stream identically.
    return float(bounds[0] + rng.random() * (bounds[1] - bounds[0]))


def _velocity(rng: np.random.Generator, speeds: tuple[float, float]) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * np.pi)
    speed = _uniform(rng, speeds)
    return speed * np.cos(angle), speed * np.sin(angle)


def _draw_segment(world: MovieWorld, rng: np.random.Generator, n_frames: int,
                  blank: bool, straight_start: bool) -> _Segment:
    """straight_start: start the object where its straight path stays in the frame longest
    (training clips), instead of anywhere (natural movies)."""
    shape = -1 if blank else int(rng.integers(len(SHAPES)))
    texture = -1 if blank else int(rng.integers(len(TEXTURES)))
    radius = _uniform(rng, world.radius)
    rel = _velocity(rng, world.object_speed)
    bg = _velocity(rng, world.self_motion_speed)
    lo, hi = radius - 0.5, world.size - 0.5 - radius
    start = []
    for v_rel, v_bg in zip(rel, bg):
        u = rng.random()
        if straight_start:
            travel = (v_rel + v_bg) * (n_frames - 1)
            slack = max(hi - lo - abs(travel), 0.0)
            start.append((lo if travel >= 0 else hi) + np.sign(travel or 1.0) * u * slack)
        else:
            start.append(lo + u * (hi - lo))
    background_mean = _MEAN + rng.uniform(-_MEAN_JITTER, _MEAN_JITTER)
    return _Segment(
        n_frames=n_frames, shape=shape, texture=texture, radius=radius,
        pose=rng.uniform(0, 2 * np.pi), start=(start[0], start[1]), rel_velocity=rel,
        background_velocity=bg,
        background_offset=tuple(rng.uniform(0, _CANVAS_FACTOR * world.size, 2)),
        background_mean=background_mean, background_contrast=_uniform(rng, _CONTRAST),
        object_mean=background_mean + rng.choice((-1.0, 1.0)) * _uniform(rng, _OBJECT_OFFSET),
        object_contrast=_uniform(rng, _OBJECT_CONTRAST),
        wavelength=radius * _uniform(rng, _WAVELENGTH_PER_RADIUS),
        texture_angle=rng.uniform(0, 2 * np.pi), texture_phase=tuple(rng.random(2)),
        seed=int(rng.integers(2 ** 31)))


def _bounce(start: float, velocity: float, lo: float, hi: float,
            n: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (n,) of a point moving at ``velocity`` between walls lo, hi, reflected
    elastically (the straight path folded into [lo, hi]), and the sign (n,) of its velocity
    relative to the initial one at each frame."""
    length = hi - lo
    if length <= 0:
        return np.full(n, lo), np.ones(n)
    p = np.mod(start - lo + velocity * np.arange(n), 2 * length)
    forward = p <= length
    return lo + np.where(forward, p, 2 * length - p), np.where(forward, 1.0, -1.0)


def _render_segment(world: MovieWorld, seg: _Segment) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(n, H, W) float32 frames and the segment's latents (without ``segment``)."""
    n, size = seg.n_frames, world.size
    screen = [seg.rel_velocity[i] + seg.background_velocity[i] for i in range(2)]
    if seg.shape >= 0:
        lo, hi = seg.radius - 0.5, size - 0.5 - seg.radius
        x, sign_x = _bounce(seg.start[0], screen[0], lo, hi, n)
        y, sign_y = _bounce(seg.start[1], screen[1], lo, hi, n)
    else:
        sign_x = sign_y = np.ones(n)
    bvx, bvy = sign_x * seg.background_velocity[0], sign_y * seg.background_velocity[1]

    canvases = np.random.default_rng(seg.seed)
    background = sprites.fractal_noise(canvases, _CANVAS_FACTOR * size)
    # How far the background has drifted by each frame (velocity of frame t moves it to t+1).
    drift_x = seg.background_offset[0] + np.concatenate([[0.0], np.cumsum(bvx[:-1])])
    drift_y = seg.background_offset[1] + np.concatenate([[0.0], np.cumsum(bvy[:-1])])
    grid = np.arange(size, dtype=np.float64)
    ys, xs = grid[None, :, None], grid[None, None, :]
    # A pixel shows the canvas point that has drifted onto it.
    bg = sprites.sample_periodic(background, ys - drift_y[:, None, None],
                                 xs - drift_x[:, None, None])
    frames = seg.background_mean + seg.background_contrast * bg
    latents = {"background_vx": bvx, "background_vy": bvy}
    if seg.shape < 0:
        nan = np.full(n, np.nan)
        latents.update(shape=np.full(n, -1), texture=np.full(n, -1), x=nan, y=nan, radius=nan,
                       object_vx=nan, object_vy=nan, rel_direction=nan, rel_speed=nan,
                       direction_class=np.full(n, -1))
        return np.clip(frames, 0, 1).astype(np.float32), latents
    dx = xs - x[:, None, None]
    dy = ys - y[:, None, None]
    c, s = np.cos(seg.pose), np.sin(seg.pose)
    u, v = c * dx + s * dy, -s * dx + c * dy
    cover = sprites.coverage(sprites.shape_distance(seg.shape, u, v, seg.radius))
    ct, st = np.cos(seg.texture_angle), np.sin(seg.texture_angle)
    blobs = sprites.smooth_noise(canvases, size, _BLOB_SCALE * seg.wavelength)
    pattern = sprites.texture_pattern(seg.texture, ct * u + st * v, -st * u + ct * v,
                                      seg.wavelength, seg.texture_phase, blobs)
    obj = seg.object_mean + seg.object_contrast * sprites.normalise_over(pattern, cover)
    frames = frames * (1 - cover) + obj * cover
    rvx, rvy = sign_x * seg.rel_velocity[0], sign_y * seg.rel_velocity[1]
    direction = np.arctan2(rvy, rvx)
    latents.update(
        shape=np.full(n, seg.shape), texture=np.full(n, seg.texture), x=x, y=y,
        radius=np.full(n, seg.radius), object_vx=sign_x * screen[0],
        object_vy=sign_y * screen[1], rel_direction=direction, rel_speed=np.hypot(rvx, rvy),
        direction_class=direction_class(direction))
    return np.clip(frames, 0, 1).astype(np.float32), latents


def direction_class(direction: np.ndarray) -> np.ndarray:
    """(T,) int16 class of each angle (rad): the nearest of N_DIRECTIONS equally spaced
    directions, class 0 centred on +x."""
    step = 2 * np.pi / N_DIRECTIONS
    return (np.round(np.asarray(direction) / step).astype(np.int64) % N_DIRECTIONS).astype(np.int16)


def _assemble(world: MovieWorld, segments: list[_Segment]) -> Movie:
    frames, parts = [], []
    for i, seg in enumerate(segments):
        f, lat = _render_segment(world, seg)
        lat["segment"] = np.full(seg.n_frames, i)
        frames.append(f)
        parts.append(lat)
    latents = {name: np.concatenate([p[name] for p in parts]).astype(dtype)
               for name, dtype in LATENT_DTYPES.items()}
    return Movie(frames=np.concatenate(frames), latents=latents)


def _check_frames(n_frames: int) -> None:
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, found {n_frames}")


def render_movie(world: MovieWorld, n_frames: int, seed: int) -> Movie:
    """A "natural movie" of ``n_frames``: consecutive segments of random lengths in
    ``world.segment_frames`` (the last one cut short), each a new scene."""
    _check_frames(n_frames)
    rng = np.random.default_rng(seed)
    segments, done = [], 0
    while done < n_frames:
        n = min(int(rng.integers(world.segment_frames[0], world.segment_frames[1] + 1)),
                n_frames - done)
        blank = bool(rng.random() < world.blank_probability)
        segments.append(_draw_segment(world, rng, n, blank, straight_start=False))
        done += n
    return _assemble(world, segments)


def render_clip(world: MovieWorld, n_frames: int, seed: int) -> Movie:
    """One segment of ``n_frames`` with an object (a training clip): fixed shape, texture,
    pose and background velocity. The object starts where its straight path stays in the
    frame longest; clips longer than that crossing bounce (see the latents)."""
    _check_frames(n_frames)
    rng = np.random.default_rng(seed)
    return _assemble(world, [_draw_segment(world, rng, n_frames, False, straight_start=True)])


def cue_conflict_images(world: MovieWorld, n_per_pair: int, seed: int) -> dict[str, np.ndarray]:
    """Static images of every (shape, texture) pair, ``n_per_pair`` each, object near the centre.

    Texture k "belongs" to shape k: images with texture == shape are the non-conflict ones,
    the others put shape i in texture j != i. Radius is the middle of ``world.radius``.
    Returns images (N, H, W) float32, shape (N,) int64, texture (N,) int64, conflict (N,)
    bool, with N = len(SHAPES) * len(TEXTURES) * n_per_pair, pairs in row-major order.
    """
    if n_per_pair < 1:
        raise ValueError(f"n_per_pair must be >= 1, found {n_per_pair}")
    rng = np.random.default_rng(seed)
    radius = 0.5 * (world.radius[0] + world.radius[1])
    jitter = min(0.1 * world.size, 0.5 * world.size - 0.5 - radius)
    images, shapes, textures = [], [], []
    for shape in range(len(SHAPES)):
        for texture in range(len(TEXTURES)):
            for _ in range(n_per_pair):
                seg = _draw_segment(world, rng, 1, False, straight_start=False)
                centre = 0.5 * (world.size - 1) + rng.uniform(-jitter, jitter, 2)
                seg = _Segment(**{**seg.__dict__, "shape": shape, "texture": texture,
                                  "radius": radius, "start": (centre[0], centre[1]),
                                  "wavelength": radius * _uniform(rng, _WAVELENGTH_PER_RADIUS)})
                images.append(_render_segment(world, seg)[0][0])
                shapes.append(shape)
                textures.append(texture)
    shape_arr, texture_arr = np.array(shapes), np.array(textures)
    return {"images": np.stack(images), "shape": shape_arr, "texture": texture_arr,
            "conflict": shape_arr != texture_arr}
