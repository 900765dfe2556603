"""Video files through a translator, frame by frame (`translate convert` on .mp4 .mov .mkv .webm .avi).

PyAV (the `video` extra; FFmpeg ships inside its wheel) decodes the first video stream, each frame is
translated as it arrives and encoded at once, so memory does not grow with the video's length. The output
has the input's frame rate, size and timestamps; audio streams are copied packet for packet (no
re-encoding). It is written under a temporary name beside the destination and renamed at the end: an
interrupted conversion leaves no half video. Video is H.264 (yuv420p, CRF 17: visually lossless) in
mp4/mov/mkv/avi, VP9 in webm.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from translate.errors import ConvertError, OptionError

if TYPE_CHECKING:
    from translate.inference import ImageTranslator

CODECS = {".webm": ("libvpx-vp9", {"crf": "24", "b": "0"})}
DEFAULT_CODEC = ("libx264", {"crf": "17", "preset": "medium"})


def _av():
    try:
        import av
    except ImportError:
        raise OptionError("video files need PyAV: pip install -e '.[video]'") from None
    return av


def convert_video(translator: ImageTranslator, src: Path, dst: Path, max_side: int | None = None,
                  progress: bool = True) -> int:
    """Translate every frame of `src` into `dst`; returns the number of frames written."""
    av = _av()
    src, dst = Path(src), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.stem}.partial{dst.suffix}")
    written = 0
    try:
        turn = _upright_turn(av, src)
        with av.open(str(src)) as inp:
            if not inp.streams.video:
                raise ConvertError("no video stream")
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            audio = list(inp.streams.audio)
            with av.open(str(tmp), "w", format=_format(dst)) as out:
                codec, options = CODECS.get(dst.suffix.lower(), DEFAULT_CODEC)
                vout = out.add_stream(codec, rate=vin.average_rate or vin.guessed_rate or 25, options=options)
                w, h = vin.codec_context.width, vin.codec_context.height
                w, h = (h, w) if turn in (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270) else (w, h)
                vout.width, vout.height = _even(w), _even(h)
                vout.pix_fmt = "yuv420p"
                # the encoder counts in the input's own ticks: at the nominal rate's, the frames of a
                # variable-rate video (a phone's, dropping frames) would round onto the same instant
                vout.time_base = vout.codec_context.time_base = vin.time_base
                aout = {s.index: out.add_stream_from_template(s) for s in audio}
                bar = _bar(vin.frames, src.name) if progress else None
                for packet in inp.demux(vin, *audio):
                    if packet.stream.index in aout:
                        if packet.dts is not None:  # copy audio as it is
                            packet.stream = aout[packet.stream.index]
                            out.mux(packet)
                        continue
                    for frame in packet.decode():
                        image = frame.to_image()
                        # a phone's video is stored sideways with a display rotation: translated upright
                        image = translator(image.transpose(turn) if turn is not None else image, max_side=max_side)
                        new = av.VideoFrame.from_image(image.convert("RGB")).reformat(
                            width=vout.width, height=vout.height, format="yuv420p")
                        new.pts, new.time_base = frame.pts, frame.time_base
                        out.mux(vout.encode(new))
                        written += 1
                        if bar is not None:
                            bar.update(1)
                out.mux(vout.encode(None))  # flush the encoder
                if bar is not None:
                    bar.close()
        if not written:
            raise ConvertError("no frame could be decoded")
        os.replace(tmp, dst)
        return written
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise ConvertError(f"video: {e}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _upright_turn(av, src: Path):
    """The PIL transpose that shows the video's frames as its display matrix says (a phone held upright
    records sideways frames and a rotation), or None. FFmpeg's convention: the display turns the frame
    counterclockwise by `rotation` degrees."""
    from PIL import Image

    with av.open(str(src)) as probe:
        frame = next(probe.decode(video=0), None)
        angle = round(getattr(frame, "rotation", 0) or 0) % 360 if frame is not None else 0
    return {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_270}.get(angle)


def _format(dst: Path) -> str:
    return {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}[dst.suffix.lower()]


def _even(n: int) -> int:
    """yuv420p halves both sides for colour: an odd side becomes the even one below (one pixel)."""
    return max(2, n - n % 2)


def _bar(total: int, label: str):
    return progress_bar(total, "frame", label)


class LineProgress:
    """Progress for a log file (stderr not a terminal): one full line every `every` seconds and at the end,
    so a long batch job is never silent and a log holds no carriage returns."""

    def __init__(self, total: int | None, unit: str, label: str = "", every: float = 30.0):
        import time

        self.total, self.unit, self.label, self.every, self.n = total, unit, label, every, 0
        self.start = self.last = time.monotonic()

    def update(self, n: int = 1) -> None:
        import time

        self.n += n
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        rate = self.n / max(now - self.start, 1e-9)
        of = f" of {self.total:,} ({self.n / self.total:.0%})" if self.total else ""
        left = (f", about {(self.total - self.n) / rate / 60:.0f} min left" if self.total and rate > 0 else "")
        print(f"{self.label + ': ' if self.label else ''}{self.n:,}{of} {self.unit}s, {rate:.2f} {self.unit}s/s"
              f"{left}", file=sys.stderr, flush=True)

    def close(self) -> None:
        import time

        if self.n and time.monotonic() - self.start >= self.every:
            self._line(time.monotonic())


def progress_bar(total: int | None, unit: str, label: str = ""):
    """A tqdm bar on a terminal, else progress lines (`LineProgress`)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(total=total or None, unit=unit, desc=label or None, file=sys.stderr, dynamic_ncols=True)
    return LineProgress(total, unit, label)
