"""Self-motion from a movie: the global image shift by phase correlation in patches."""

from __future__ import annotations

import numpy as np
import pytest

from brainlike.features.self_motion import image_shifts
from brainlike.simulate.movies import MovieWorld, render_movie


def test_a_translated_texture_gives_its_shift():
    rng = np.random.default_rng(0)
    canvas = rng.random((128, 128))
    # Content moves +2 px along x and -1 px along y per frame.
    frames = np.stack([canvas[40 + t:104 + t, 30 - 2 * t:94 - 2 * t] for t in range(6)])
    shifts = image_shifts(frames)
    assert shifts.shape == (6, 2) and np.all(shifts[0] == 0)
    np.testing.assert_allclose(shifts[1:], np.tile([2.0, -1.0], (5, 1)), atol=0.1)


def test_the_shift_follows_the_background_not_the_object():
    movie = render_movie(MovieWorld(size=64), 600, seed=7)
    shifts = image_shifts(movie.frames)
    # The background velocity of frame t carries it to frame t + 1.
    truth = np.stack([movie.latents["background_vx"], movie.latents["background_vy"]], 1)[:-1]
    segment = movie.latents["segment"]
    within = segment[1:] == segment[:-1]
    error = np.hypot(*(shifts[1:] - truth)[within].T)
    assert np.median(error) < 0.25 and np.percentile(error, 90) < 0.5
    for axis in range(2):
        assert np.corrcoef(shifts[1:, axis][within], truth[within, axis])[0, 1] > 0.93


@pytest.mark.parametrize("frames, message", [
    (np.zeros((4, 8, 8)), "does not fit"), (np.zeros((4, 16)), "must be"),
    (np.zeros((0, 16, 16)), "must be")])
def test_bad_frames_are_rejected(frames, message):
    with pytest.raises(ValueError, match=message):
        image_shifts(frames)
