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


def test_a_variable_frame_rate_video_keeps_every_timestamp(tmp_path, cyclegan_bundle):
    """A phone's 30 fps video that drops frames: every frame keeps its own instant (at the nominal rate's
    ticks they rounded onto each other and the encoder refused the file)."""
    src = tmp_path / "vfr.mp4"
    with av.open(str(src), "w") as box:
        v = box.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        v.time_base = Fraction(1, 30000)
        pts, rng = 0, np.random.default_rng(0)
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), format="rgb24")
            frame.pts, frame.time_base = pts, v.time_base
            pts += 1001 if i % 5 else 3003  # every fifth frame lasts three
            box.mux(v.encode(frame))
        box.mux(v.encode(None))
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(src), "-o", str(tmp_path / "out.mp4")]) == 0

    def instants(path):
        with av.open(str(path)) as box:
            return [float(f.pts * f.time_base) for f in box.decode(video=0)]

    assert instants(tmp_path / "out.mp4") == pytest.approx(instants(src), abs=1e-4)


def _display_rotation(path, matrix):
    """Write a display matrix into an mp4's track header (what a phone held upright records)."""
    import struct

    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd") + 44  # the box type, then 40 bytes of fields (version 0) before the matrix
    data[at:at + 36] = struct.pack(">9i", *matrix)
    path.write_bytes(bytes(data))


def test_a_video_stored_sideways_comes_out_upright(tmp_path, cyclegan_bundle):
    src = tmp_path / "portrait.mp4"
    stored = np.zeros((48, 64, 3), np.uint8)
    stored[:, :16] = 255  # a white band on the left of the stored (sideways) frame
    with av.open(str(src), "w") as box:
        v = box.add_stream("libx264", rate=8, options={"crf": "10"})
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        for _ in range(3):
            box.mux(v.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")))
        box.mux(v.encode(None))
    _display_rotation(src, [0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30])  # shown turned 90 degrees clockwise
    with av.open(str(src)) as box:
        assert next(box.decode(video=0)).rotation == -90
    assert main(["convert", "-c", str(cyclegan_bundle), "-i", str(src), "-o", str(tmp_path / "out.mp4"),
                 "--scale", "native"]) == 0
    with av.open(str(tmp_path / "out.mp4")) as box:
        frame = next(box.decode(video=0))
        assert (frame.width, frame.height, frame.rotation) == (48, 64, 0)  # upright, no rotation left to apply
    from translate.inference.video import convert_video

    # the frames as they reach the translator: through an identity, the band must be at the top
    convert_video(lambda image, max_side=None: image, src, tmp_path / "seen.mp4", progress=False)
    rows = frames_of(tmp_path / "seen.mp4")[0].mean(axis=(1, 2))
    assert frames_of(tmp_path / "seen.mp4")[0].shape == (64, 48, 3)
    assert rows[:12].min() > 200 and rows[20:].max() < 60
