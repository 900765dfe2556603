"""`translate convert`: folder -> folder translation that is safe to interrupt and to re-run.

Planning (`plan_conversion`) decides every source -> destination pair before any pixel is touched, so
`--dry-run` shows exactly what a real run does. Running (`run_conversion`) decodes and encodes in a
thread pool while the net computes (PIL releases the GIL in both), groups images of equal size into
batches, writes each output under a temporary name and renames it into place (an interrupted run leaves
no half-written file), and records every file that could not be read or converted instead of stopping.
"""

from __future__ import annotations

import collections
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from translate.errors import ConvertError
from translate.inference.image_files import FORMATS, side_by_side_pair, write_image_atomic
from translate.inference.records import ERRORS_FILE, Journal, write_errors
from translate.registry import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from translate.storage.files import printable

MEDIA_SUFFIXES = IMAGE_SUFFIXES + VIDEO_SUFFIXES

if TYPE_CHECKING:  # the converter drives an ImageTranslator; importing it here would load torch for --help
    from translate.inference import ImageTranslator, Prepared

@dataclass
class Job:
    src: Path
    dst: Path


@dataclass
class Plan:
    jobs: list[Job]
    out_root: Path
    skipped: list[Job] = field(default_factory=list)  # outputs that already exist (--skip-existing)
    ignored: int = 0  # files in the input folder that are not images this project reads
    journal: Journal | None = None  # what an in-place run already translated (records.py), read once here


@dataclass
class Report:
    converted: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    skipped: int = 0
    errors_file: Path | None = None
    ignored: int = 0
    frames: int = 0  # video frames translated
    flattened: int = 0  # images whose transparency the output format could not keep

    def summary(self) -> str:
        text = f"{self.converted:,} converted" + (f" ({self.frames:,} video frames)" if self.frames else "")
        if self.skipped:
            text += f", {self.skipped:,} skipped (already converted)"
        if self.ignored:
            text += f", {self.ignored:,} other file(s) left alone (not {'/'.join(s[1:] for s in MEDIA_SUFFIXES)})"
        if self.failed:
            text += f", {len(self.failed):,} failed: see {printable(self.errors_file)}"
        if self.flattened:
            text += (f"; {self.flattened:,} had transparency their format cannot hold (jpg, ppm: put on white; "
                     f"gif: on or off): png, webp or tiff keep it")
        return text


# ------------------------------------------------------------------------------------------ planning
def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _list_file(path: Path) -> list[tuple[Path, Path]]:
    """(source, relative output path) for each line of a text file of paths; relative lines are read
    from the list file's folder, and outputs keep that relative path (absolute ones keep their name)."""
    pairs = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(line)
        src = p if p.is_absolute() else path.parent / p
        rel = Path(p.name) if p.is_absolute() or ".." in p.parts else p
        pairs.append((src, rel))
    if not pairs:
        raise ConvertError(f"{path}: the list file names no images (one path per line)")
    return pairs


def _is_text(path: Path) -> bool:
    """A list file is text: its first 64 KB decode as UTF-8 and hold no NUL byte (an image never does both)."""
    with open(path, "rb") as f:
        head = f.read(65536)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 3:  # a multi-byte character cut by the 64 KB boundary is still text
            return False
    return b"\0" not in head


def _sources(inp: Path, out: Path, pattern: str | None,
             overwrite_inputs: bool) -> tuple[list[tuple[Path, Path]], int]:
    """(source, relative output path) pairs, and how many other files a folder holds (left alone)."""
    if inp.is_dir():
        candidates = sorted(inp.rglob(pattern)) if pattern else sorted(
            p for p in inp.rglob("*") if p.suffix.lower() in MEDIA_SUFFIXES)
        ignored = 0 if pattern else sum(
            1 for p in inp.rglob("*") if p.is_file() and not p.name.startswith(".")
            and p.suffix.lower() not in MEDIA_SUFFIXES and p.name != ERRORS_FILE)
        # outputs written inside the input folder (allowed with --overwrite-inputs) are never inputs
        skip_out = out != inp.resolve() and _inside(out, inp.resolve())  # `out` comes resolved, `inp` as typed
        return [(p, p.relative_to(inp)) for p in candidates
                if p.is_file() and not p.name.startswith(".") and not (skip_out and _inside(p.resolve(), out))], \
            ignored
    if inp.is_file():
        if inp.suffix.lower() in MEDIA_SUFFIXES:
            return [(inp, Path(inp.name))], 0
        if not _is_text(inp):
            raise ConvertError(f"`input` {inp} is neither an image or video this converter reads "
                               f"({', '.join(MEDIA_SUFFIXES)}) nor a text file listing images")
        return _list_file(inp), 0
    raise ConvertError(f"`input` {inp} does not exist (give a folder, an image, or a text file listing images)")


def plan_conversion(inp: Path, out: Path, pattern: str | None = None, fmt: str | None = None,
                    skip_existing: bool = True, overwrite_inputs: bool = False) -> Plan:
    """Decide every source -> destination pair. OUT mirrors IN's relative paths; the file name is kept,
    with the suffix replaced when `fmt` is given. OUT == IN or OUT inside IN needs `overwrite_inputs`."""
    if fmt is not None and fmt.lower() not in FORMATS:
        raise ConvertError(f"`format` {fmt}: unknown; valid: {', '.join(FORMATS)}")
    inp_r, out_r = inp.resolve(), out.resolve()
    single_file_out = inp.is_file() and (
        inp.suffix.lower() in IMAGE_SUFFIXES and out.suffix.lower() in IMAGE_SUFFIXES
        or inp.suffix.lower() in VIDEO_SUFFIXES and out.suffix.lower() in VIDEO_SUFFIXES)
    if inp.is_dir() and _inside(out_r, inp_r) and not overwrite_inputs:
        where = "is the input folder" if out_r == inp_r else "lies inside the input folder"
        raise ConvertError(f"`output` {out} {where} {inp}; choose another folder, or pass `overwrite_inputs` "
                           f"if you really mean to write there")
    media = IMAGE_SUFFIXES + VIDEO_SUFFIXES
    if inp.is_file() and inp.suffix.lower() in media and out.suffix.lower() in media and not single_file_out:
        kinds = ("a video", "a video file (" + ", ".join(VIDEO_SUFFIXES) + ")") \
            if inp.suffix.lower() in VIDEO_SUFFIXES else ("an image", "an image file or a folder")
        raise ConvertError(f"`output` {out}: {kinds[0]} converts to {kinds[1]}, not to a {out.suffix} file")
    if single_file_out and out_r == inp_r and not overwrite_inputs:
        raise ConvertError(f"`output` {out} is the input file; choose another name or pass `overwrite_inputs`")
    if out.exists() and not out.is_dir() and not single_file_out:
        raise ConvertError(f"`output` {out} is a file; give a folder")
    jobs, skipped, seen = [], [], {}
    out_root = out.parent if single_file_out else out
    journal = Journal(out_root)  # in place, the files already translated (records.py)
    sources, ignored = _sources(inp, out_r, pattern, overwrite_inputs)
    for src, rel in sources:
        dst = out if single_file_out else out / rel
        if fmt and src.suffix.lower() not in VIDEO_SUFFIXES:  # a video stays a video of its kind
            dst = dst.with_suffix("." + fmt.lower())
        if dst in seen:
            raise ConvertError(f"{src} and {seen[dst]} would both be written to {dst}; convert them separately "
                               f"or keep their formats")
        seen[dst] = src
        job = Job(src, dst)
        in_place = dst.exists() and dst.resolve() == src.resolve()
        if skip_existing and dst.exists() and (not in_place or journal.is_translation(dst)):
            skipped.append(job)
        else:
            jobs.append(job)
    return Plan(jobs, out_root, skipped, ignored, journal)


# ------------------------------------------------------------------------------------------- running
def _decode(translator: ImageTranslator, job: Job, max_side: int | None, max_pixels: int = 0,
            keep_source: bool = False) -> Prepared:
    from translate.data.folders import open_image

    with open_image(job.src, max_pixels) as img:
        frames = getattr(img, "n_frames", 1)
        if frames > 1:
            raise ConvertError(f"animated ({frames} frames); only still images convert: split its frames first")
        img.load()  # a truncated or corrupt file fails here, inside the worker, with its reason
        prep = translator.prepare(img, max_side)
    if not keep_source:  # only --side-by-side shows the input: the decoded photo need not stay in memory
        prep.source = None
    return prep


def _reason(e: BaseException, src: Path | None = None) -> str:
    """Why a file failed, in one line without its own name (the errors file's first column has it)."""
    from PIL import UnidentifiedImageError

    from translate.errors import TranslateError, as_flags

    if isinstance(e, UnidentifiedImageError):
        return "not an image PIL can read (wrong extension or corrupt header)"
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    if isinstance(e, TranslateError):  # already a sentence, perhaps starting with the file's name
        return as_flags(text.removeprefix(f"{src}: "))
    return f"{type(e).__name__}: {text}"


def run_conversion(translator: ImageTranslator, plan: Plan, batch_size: int = 4, workers: int = 2,
                   max_side: int | None = None, quality: int = 95, side_by_side: bool = False,
                   progress: bool = True, max_pixels: int = 0) -> Report:
    """Convert every job of `plan`; failures are collected, never raised. Returns the report, with the
    errors file written into the output folder when something failed (and a stale one removed)."""
    import torch

    report = Report(skipped=len(plan.skipped), ignored=plan.ignored)
    journal = plan.journal or Journal(plan.out_root)  # the plan's, read once
    videos = [j for j in plan.jobs if j.src.suffix.lower() in VIDEO_SUFFIXES]
    jobs = [j for j in plan.jobs if j.src.suffix.lower() not in VIDEO_SUFFIXES]
    sizes = {id(job): _header_size(job, max_pixels) for job in jobs}  # header-only reads
    if batch_size > 1:  # equal sizes next to each other so they batch
        jobs = sorted(jobs, key=lambda job: sizes[id(job)])
    held = 0  # pixels of the images decoded and not yet written: HELD_PIXELS bounds them
    bar = None
    if progress:
        from translate.inference.video import progress_bar

        bar = progress_bar(len(jobs), "image")

    def pixels(job: Job) -> int:  # at least 1: a file whose header fails is held too until it is listed
        w, h = sizes[id(job)]
        return max(1, w * h)

    def release(job: Job) -> None:
        nonlocal held
        if id(job) in sizes:  # videos stream: they hold no decoded image
            held -= pixels(job)

    def fail(job: Job, e: BaseException | str) -> None:
        release(job)
        report.failed.append((job.src, e if isinstance(e, str) else _reason(e, job.src)))
        if bar is not None:
            bar.update(1)

    def encode(job: Job, y, prep: Prepared) -> tuple[bool, str]:
        image = translator.finish(y, prep)
        if side_by_side:
            image = side_by_side_pair(prep.source, image)
        return write_image_atomic(image, job.dst, quality, prep.icc_profile)

    with (ThreadPoolExecutor(workers) if workers > 0 else _Inline()) as pool:
        ahead = collections.deque()  # decodes in flight, in job order
        writes: list[tuple[Job, Future]] = []
        todo = collections.deque(jobs)

        def refill() -> None:
            nonlocal held
            while todo and len(ahead) < batch_size + 2 * workers:
                if held and held + pixels(todo[0]) > HELD_PIXELS:  # decoded when earlier ones are written
                    return
                held += pixels(todo[0])
                job = todo.popleft()
                ahead.append((job, pool.submit(_decode, translator, job, max_side, max_pixels, side_by_side)))

        def reap(block: bool) -> None:
            keep = []
            for job, fut in writes:
                if block or fut.done():
                    try:
                        flattened, sha = fut.result()  # counted here, in one thread
                        report.flattened += flattened
                        if job.dst.resolve() == job.src.resolve():  # in place: remember it is a translation
                            journal.record(job.dst, sha)
                        report.converted += 1
                        release(job)
                        if bar is not None:
                            bar.update(1)
                    except Exception as e:  # noqa: BLE001 - a bad file must not stop the others
                        fail(job, e)
                else:
                    keep.append((job, fut))
            writes[:] = keep

        def flush(batch: list) -> None:
            if not batch:
                return
            try:
                # one image goes as a view of itself: a copy would double a large photo's memory
                xs = batch[0][1].x[None] if len(batch) == 1 else torch.stack([p.x for _, p in batch])
                ys = translator.translate_uint8(xs)
                del xs
                for _, prep in batch:  # the float input is done with: the encoders need only the result
                    prep.x = None
            except Exception as e:  # noqa: BLE001 - e.g. out of memory on one huge image
                for job, _ in batch:
                    fail(job, e)
            else:
                for (job, prep), y in zip(batch, ys):
                    writes.append((job, pool.submit(encode, job, y, prep)))
            batch.clear()
            reap(block=False)

        batch: list = []
        refill()
        while ahead or todo:
            if not ahead:  # the next image waits for memory: translate and write the ones held first
                flush(batch)
                reap(block=True)
                refill()
                continue
            job, fut = ahead.popleft()
            refill()
            try:
                prep = fut.result()
            except Exception as e:  # noqa: BLE001
                fail(job, e)
                continue
            if batch and (prep.x.shape != batch[0][1].x.shape or len(batch) >= batch_size):
                flush(batch)
            batch.append((job, prep))
        flush(batch)
        reap(block=True)
    if bar is not None:
        bar.close()
    for job in videos:  # frame by frame, one video at a time (each streams; memory stays flat)
        from translate.inference.video import convert_video

        try:
            frames = convert_video(translator, job.src, job.dst, max_side, progress)
            report.converted += 1
            report.frames += frames
        except Exception as e:  # noqa: BLE001 - a bad file must not stop the others
            report.failed.append((job.src, _reason(e, job.src)))
    write_errors(plan, report)
    return report


class _Inline:
    """The executor interface run in the calling thread: on a CPU-only machine the net already keeps
    every core busy, and decode/encode threads only compete with it (measured in bench/convert.py)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args) -> Future:
        fut = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as e:  # noqa: BLE001 - delivered through the future, as a pool would
            fut.set_exception(e)
        return fut


def auto_workers(device) -> tuple[int, int]:
    """(batch size, decode/encode threads) that suit the device: on CUDA batches and threads keep the GPU
    fed; on the CPU one image at a time in one thread is fastest (batches and threads only add contention)."""
    return (8, 4) if getattr(device, "type", str(device)) == "cuda" else (1, 0)


HELD_PIXELS = 1 << 26  # 67 megapixels decoded at once (uint8: about 0.4 GB with their sources); one larger
# image is held alone, so a folder of 100-megapixel photos needs the memory of one


def _header_size(job: Job, max_pixels: int = 0) -> tuple[int, int]:
    from translate.data.folders import open_image

    try:
        with open_image(job.src, max_pixels) as img:  # no decompression-bomb warning: the budget decides
            return img.size
    except Exception:  # noqa: BLE001 - unreadable or refused files sort first and fail in the decode step
        return (0, 0)
