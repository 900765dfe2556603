"""The README cannot drift from the CLI: every fenced `translate ...` and `make ...` command in it is
accepted by the parser, the cheap ones run (with tiny settings swapped in), and the Python snippet runs."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from translate.cli import HANDLERS, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every ``` block."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)]


def commands(text: str, program: str) -> list[list[str]]:
    """Each command line starting with `program` in the shell blocks (continuations joined, comments cut)."""
    out = []
    for lang, body in fenced_blocks(text):
        if lang not in ("", "sh", "bash", "console"):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == program:
                out.append(words[1:])
    return out


TRANSLATE = commands(README, "translate")
MAKE = commands(README, "make")


def test_the_readme_shows_the_three_uses_and_stays_short():
    assert len(README.encode()) <= 10_500
    used = {argv[0] for argv in TRANSLATE}
    assert {"train", "convert", "demo"} <= used, used
    assert ["train", "--model", "cyclegan", "--data", "horse2zebra"] in TRANSLATE
    assert "../shared" not in README  # nothing of this repository's surroundings


class Parsed(Exception):
    """Raised right after a command's own parser accepted its arguments: nothing of the command runs."""


@pytest.mark.parametrize("argv", TRANSLATE, ids=lambda a: " ".join(a)[:60])
def test_every_readme_command_is_accepted_by_the_parser(argv, monkeypatch, capsys):
    assert argv and argv[0] in HANDLERS, f"translate {argv[0]} is not a command"
    if argv[0] == "train":  # --dry-run resolves and validates the whole configuration, nothing more
        assert main([*argv, "--dry-run"]) == 0, capsys.readouterr().err
        return
    parse = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        ns = parse(self, args, namespace)
        raise Parsed(ns)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    with pytest.raises(Parsed):
        main(argv)


@pytest.mark.parametrize("argv", MAKE, ids=" ".join)
def test_every_readme_make_target_exists(argv):
    out = subprocess.run(["make", "-n", *argv], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


TINY = {"--steps": "2", "--batch-size": "8", "--ngf": "4", "--ndf": "4"}


def test_the_cheap_readme_commands_run(tmp_path, monkeypatch, capsys):
    """The offline training example (tiny widths, two steps) and both convert examples on two small photos."""
    monkeypatch.chdir(tmp_path)
    offline = [a for a in TRANSLATE if a[:1] == ["train"] and "digits" in a]
    assert offline, "the README lost its offline training example"
    for argv in offline:
        argv = list(argv)
        for flag, value in TINY.items():
            if flag in argv:
                argv[argv.index(flag) + 1] = value
            else:
                argv += [flag, value]
        assert main(argv) == 0, capsys.readouterr().err
    assert any(tmp_path.glob("checkpoints/run-*/bundle/model.safetensors"))

    photos = tmp_path / "photos"
    photos.mkdir()
    for i, colour in enumerate(((120, 90, 60), (60, 140, 70))):
        Image.new("RGB", (48, 40), colour).save(photos / f"p{i}.jpg")
    for argv in (a for a in TRANSLATE if a[:1] == ["convert"] and "photos/" in a):
        capsys.readouterr()
        assert main(argv) == 0, capsys.readouterr().err
        out = tmp_path / argv[argv.index("--output") + 1]
        assert sorted(p.name for p in out.glob("*.jpg")) == ["p0.jpg", "p1.jpg"]
        assert Image.open(out / "p0.jpg").size == (48, 40)
        assert "2 converted" in capsys.readouterr().out  # the output the README promises ("12 converted")


def test_the_python_snippet_runs(tmp_path, monkeypatch):
    snippet = next(body for lang, body in fenced_blocks(README) if lang == "python")
    monkeypatch.chdir(tmp_path)  # from another folder than the checkout: names and the photo resolve anywhere
    scope: dict = {}
    exec(compile(snippet, "README.md", "exec"), scope)
    assert Image.open(tmp_path / "zebra.png").size == Image.open(scope["photo"]).size
    assert tuple(scope["images"].shape) == (16, 1, 28, 28)


def test_a_folder_named_translate_beside_the_caller_does_not_hide_the_package(tmp_path):
    """Run from the folder that holds the clone (named translate), `import translate` must still be the
    package (a bare folder would become an empty namespace package without `load`)."""
    (tmp_path / "translate").symlink_to(ROOT, target_is_directory=True)
    code = "import translate; print(translate.__file__); translate.load"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_every_figure_the_readme_quotes_for_a_model_is_in_its_card():
    """One headline figure per model: the README's table row and the model card say the same numbers."""
    rows = re.findall(r"^\| \[`(\w+)`\]\((checkpoints/\w+/README\.md)\) \|[^|]*\|([^|]*)\|", README, re.M)
    assert len(rows) >= 5, rows
    for name, card, headline in rows:
        text = (ROOT / card).read_text()
        figures = re.findall(r"\d+(?:\.\d+)?%|\d+\.\d+", headline)
        assert figures, (name, headline)
        missing = [f for f in figures if f not in text]
        assert not missing, f"{card} does not quote {missing} (README: {headline.strip()})"
