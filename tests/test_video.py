"""`translate convert` on video files: frame count, size, rate and audio kept; the first frame is what the
image path gives for it; an interrupted conversion leaves no half video."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from translate.cli import main

av = pytest.importorskip("av", reason="the video extra is not installed (pip install -e '.[video]')")


def make_video(path, frames=24, size=(64, 48), fps=8, audio=True):
    """Three seconds of a moving colour gradient (and a 440 Hz tone) in H.264 / AAC."""
    w, h = size
    with av.open(str(path), "w") as box:
        v = box.add_stream("libx264", rate=fps, options={"crf": "10"})
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        a = box.add_stream("aac", rate=16000) if audio else None
        y, x = np.mgrid[0:h, 0:w]
        for i in range(frames):
            rgb = np.stack([(x * 4 + i * 9) % 256, (y * 5) % 256, np.full_like(x, 90 + i * 5)], -1).astype(np.uint8)
            box.mux(v.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        box.mux(v.encode(None))
        if a is not None:
            t = np.arange(int(16000 * frames / fps)) / 16000
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for start in range(0, tone.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(tone[:, start:start + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 16000, start
                box.mux(a.encode(frame))
            box.mux(a.encode(None))


def frames_of(path):
    with av.open(str(path)) as box:
        return [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]


def test_a_video_converts_frame_by_frame_keeping_rate_size_and_audio(tmp_path, cyclegan_bundle, capsys):
    import translate

    src, out = tmp_path / "in" / "clip.mp4", tmp_path / "out"
    src.parent.mkdir()
    make_video(src)
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(src.parent), "-o", str(out)]) == 0
    assert "1 converted (24 video frames)" in capsys.readouterr().out
    dst = out / "clip.mp4"
    with av.open(str(dst)) as box:
        v = box.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (64, 48)
        assert v.average_rate == Fraction(8) and len(box.streams.audio) == 1
    got, inputs = frames_of(dst), frames_of(src)
    assert len(got) == len(inputs) == 24
    want = np.asarray(translate.load(cyclegan_bundle)(inputs[0]))
    # H.264 in yuv420p keeps brightness at full resolution and colour at half: compare luma, and the
    # colour of 2x2 blocks (this untrained net's output is pixel-level noise, the hardest case for both)
    def luma(a):
        return a.astype(float) @ [0.299, 0.587, 0.114]

    def blocks(a):
        return a.astype(float).reshape(24, 2, 32, 2, 3).mean((1, 3))

    assert np.abs(luma(got[0]) - luma(want)).mean() < 4
    assert np.abs(blocks(got[0]) - blocks(want)).mean() < 6
    assert np.abs(luma(got[0]) - luma(inputs[0])).mean() > 10  # the frame was translated, not copied
    assert not any(p.name.startswith(".") for p in out.iterdir())  # no temporary file left


class StopsAtFrame3:
    """A translator that is interrupted (Ctrl-C) on the third frame; the identity before that."""

    calls = 0

    def __call__(self, image, max_side=None):
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return image


def test_an_interrupted_video_leaves_nothing(tmp_path):
    from translate.inference import video

    src = tmp_path / "clip.mp4"
    make_video(src, frames=6, audio=False)
    with pytest.raises(KeyboardInterrupt):
        video.convert_video(StopsAtFrame3(), src, tmp_path / "out" / "clip.mp4", progress=False)
    assert list((tmp_path / "out").iterdir()) == []
