"""Model-free regressors for a movie, one row per frame: the vision counterpart of
``brainlike.features.baselines``.

They bracket the models from below, each aimed at one stage of mouse visual cortex:
``pixels`` (the image itself, coarsely), ``oriented_energy`` (V1-like complex cells,
``brainlike.features.gabor``), ``motion_energy`` (direction-selective, dorsal-like: on the
screen, and relative to the scene once the observer's self-motion, estimated from the
movie by ``brainlike.features.self_motion``, is compensated) and
``shape_label`` (the simulated world's ground-truth shape class: the known answer for the
ventral-like area, available only for simulated movies).
"""

from __future__ import annotations

import numpy as np

from brainlike.features.gabor import motion_energy, oriented_energy
from brainlike.features.self_motion import image_shifts

VISION_BASELINES: tuple[str, ...] = ("pixels", "oriented_energy", "motion_energy", "shape_label",
                                     "motion_label")
#: The relative-motion basis of ``motion_label``: directions x log-spaced speeds.
MOTION_DIRECTIONS, MOTION_SPEEDS = 8, 4
#: Side of the grid the ``pixels`` baseline average-pools each frame onto.
PIXEL_GRID = 16


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[0] == 0:
        raise ValueError(f"frames must be (T, H, W) with T >= 1, got shape {frames.shape}")
    return frames


def pixels(frames: np.ndarray) -> np.ndarray:
    """(T, PIXEL_GRID**2): frames (T, H, W) average-pooled onto PIXEL_GRID x PIXEL_GRID."""
    import torch
    import torch.nn.functional as F

    if min(frames.shape[1:]) < PIXEL_GRID:
        raise ValueError(f"pixels baseline needs frames at least {PIXEL_GRID}x{PIXEL_GRID}, "
                         f"got {frames.shape[1]}x{frames.shape[2]}")
    x = torch.from_numpy(np.ascontiguousarray(frames, np.float32))
    return F.adaptive_avg_pool2d(x[:, None], PIXEL_GRID).flatten(1).numpy()


def shape_label(shape: np.ndarray, n_frames: int) -> np.ndarray:
    """(T, len(SHAPES)) one-hot shape class per frame; all zeros where shape == -1 (no object).

    shape: (T,) integer class indices into ``brainlike.simulate.movies.SHAPES``, -1 for none.
    """
    # Imported here: baselines of a recorded movie need no simulator.
    from brainlike.simulate.movies import SHAPES

    shape = np.asarray(shape)
    if shape.shape != (n_frames,):
        raise ValueError(f"latents['shape'] must be ({n_frames},) to match the frames, "
                         f"got shape {shape.shape}")
    if not np.issubdtype(shape.dtype, np.integer):
        raise ValueError(f"latents['shape'] must hold integer classes, got dtype {shape.dtype}")
    if shape.size and (shape.min() < -1 or shape.max() >= len(SHAPES)):
        raise ValueError(f"latents['shape'] must lie in -1..{len(SHAPES) - 1}, "
                         f"found {shape.min()}..{shape.max()}")
    out = np.zeros((n_frames, len(SHAPES)), np.float32)
    present = shape >= 0
    out[np.flatnonzero(present), shape[present]] = 1.0
    return out


def motion_label(direction: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """(T, MOTION_DIRECTIONS * MOTION_SPEEDS) von Mises x log-Gaussian basis of the object's
    motion relative to the background, as the simulated dorsal cells are tuned (their mean
    concentration and width, preferred speeds spanning theirs); zeros without an object.

    direction: (T,) rad, NaN without an object; speed: (T,) px/frame.
    """
    from brainlike.simulate.mouse_cells import KAPPA, PREFERRED_SPEED, SPEED_WIDTH

    direction, speed = np.asarray(direction, np.float64), np.asarray(speed, np.float64)
    if direction.shape != speed.shape or direction.ndim != 1:
        raise ValueError(f"rel_direction and rel_speed must be (T,) alike, got "
                         f"{direction.shape} and {speed.shape}")
    present = np.isfinite(direction) & np.isfinite(speed) & (speed > 0)
    theta = np.where(present, direction, 0.0)[:, None]
    ln_speed = np.log(np.where(present, speed, 1.0))[:, None]
    lo = min(r[0] for r in PREFERRED_SPEED.values())
    hi = max(r[1] for r in PREFERRED_SPEED.values())
    centres = np.linspace(np.log(lo), np.log(hi), MOTION_SPEEDS)
    prefs = np.arange(MOTION_DIRECTIONS) * 2 * np.pi / MOTION_DIRECTIONS
    tuned_dir = np.exp(np.mean(KAPPA) * (np.cos(theta - prefs) - 1.0))
    tuned_speed = np.exp(-0.5 * ((ln_speed - centres) / np.mean(SPEED_WIDTH)) ** 2)
    out = (tuned_dir[:, :, None] * tuned_speed[:, None, :]).reshape(len(direction), -1)
    return np.where(present[:, None], out, 0.0).astype(np.float32)


def baseline_layers(name: str, frames: np.ndarray,
                    latents: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Layer name -> (T, D) float32 regressors of baseline ``name`` for frames (T, H, W).

    latents: the movie's per-frame ground truth (``brainlike.simulate.movies.Movie.latents``),
    needed by ``shape_label`` and ``motion_label`` only; None for a recorded movie.
    """
    if name not in VISION_BASELINES:
        raise ValueError(f"unknown vision baseline {name!r}; choose from {VISION_BASELINES}")
    frames = _check_frames(frames)
    t = frames.shape[0]
    if name == "pixels":
        return {"pixels": pixels(frames)}
    if name == "oriented_energy":
        return {"energy": oriented_energy(frames).reshape(t, -1)}
    if name == "motion_energy":
        # Two layers: the energy of motion on the screen, and of motion relative to the
        # scene (the observer's self-motion, estimated from the movie, compensated).
        return {"energy": motion_energy(frames).reshape(t, -1),
                "relative": motion_energy(frames, shifts=image_shifts(frames)).reshape(t, -1)}
    needed = ("shape",) if name == "shape_label" else ("rel_direction", "rel_speed")
    if latents is None or any(k not in latents for k in needed):
        raise ValueError(f"the {name} baseline needs the movie's ground-truth latents "
                         f"{list(needed)}; this movie has "
                         f"{'none' if latents is None else sorted(latents)}")
    if name == "motion_label":
        layer = motion_label(latents["rel_direction"], latents["rel_speed"])
        if len(layer) != t:
            raise ValueError(f"latents hold {len(layer)} frames, the movie {t}")
        return {"motion_label": layer}
    return {"shape_label": shape_label(latents["shape"], t)}
