"""pix2pix and CycleGAN behaviour: data pipelines, the image pool, the official LR schedule, and that
the models learn (pix2pix overfits a pair, CycleGAN's cycle loss falls)."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest
import torch
from conftest import SHARED_DATA, make_config
from PIL import Image
from safetensors.torch import load_file

from translate.config import DataConfig
from translate.data.pairs import open_translation_data
from translate.data.transforms import Preprocess
from translate.errors import TranslateError
from translate.models.image_pool import ImagePool
from translate.options import build
from translate.training.schedules import epoch_lr_factor
from translate.training.trainer import Trainer


# --------------------------------------------------------------------------------------------- data
def _dcfg(root, **kw) -> DataConfig:
    return build(DataConfig, {"data": str(root), "load_size": 36, "crop_size": 32, **kw})


def test_paired_crop_and_flip_are_identical_for_a_and_b(tmp_path):
    rng = np.random.default_rng(0)
    half = rng.integers(0, 255, (50, 60, 3), dtype=np.uint8)
    (tmp_path / "train").mkdir()
    Image.fromarray(np.concatenate([half, half], 1)).save(tmp_path / "train" / "0.png")  # A == B
    for mode in ("resize_and_crop", "crop", "scale_width_and_crop"):
        source, info = open_translation_data(_dcfg(tmp_path, preprocess=mode), "paired")
        assert info.kind == "paired" and info.image_size == 32
        outs = [source[(0, seed)] for seed in range(12)]
        for o in outs:
            assert o["A"].shape == (3, 32, 32) and torch.equal(o["A"], o["B"]), mode
        # the crops and flips really vary with the seed, and the same seed repeats exactly
        assert len({o["A"].sum().item() for o in outs}) > 3
        assert torch.equal(source[(0, 5)]["A"], outs[5]["A"])


def test_unpaired_partner_and_augmentations_are_a_pure_function_of_the_seed(unpaired_root):
    source, info = open_translation_data(_dcfg(unpaired_root), "unpaired")
    assert len(source) == 6 and info.kind == "unpaired"
    a, b = source[(2, 77)], source[(2, 77)]
    assert torch.equal(a["A"], b["A"]) and torch.equal(a["B"], b["B"]) and a["B_path"] == b["B_path"]
    partners = {source[(2, s)]["B_path"] for s in range(20)}
    assert len(partners) > 2  # a random B for each A ...
    serial, _ = open_translation_data(_dcfg(unpaired_root, serial_batches=True), "unpaired")
    assert {serial[(2, s)]["B_path"] for s in range(5)} == {str(unpaired_root / "trainB" / "2.png")}  # ... or in order


def test_direction_swaps_the_sides(paired_root):
    ab, _ = open_translation_data(_dcfg(paired_root, flip=False), "paired")
    ba, _ = open_translation_data(_dcfg(paired_root, flip=False, direction="BtoA"), "paired")
    assert torch.equal(ab[(1, 3)]["A"], ba[(1, 3)]["B"]) and torch.equal(ab[(1, 3)]["B"], ba[(1, 3)]["A"])


def test_image_modes_become_rgb_or_gray_and_corrupt_files_are_skipped(tmp_path):
    for dom in ("trainA", "trainB"):
        (tmp_path / dom).mkdir()
    Image.fromarray(np.full((40, 40), 90, np.uint8)).save(tmp_path / "trainA" / "gray.jpg")
    Image.fromarray(np.full((40, 40, 4), 200, np.uint8), "RGBA").save(tmp_path / "trainA" / "rgba.png")
    Image.fromarray(np.full((40, 40), 50000, np.uint16)).save(tmp_path / "trainA" / "deep.png")
    Image.new("P", (40, 40), 3).save(tmp_path / "trainB" / "palette.png")
    (tmp_path / "trainB" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source, _ = open_translation_data(_dcfg(tmp_path), "unpaired")
    assert any("broken.jpg" in str(w.message) for w in caught)
    assert len(source.paths_a) == 3 and len(source.paths_b) == 1
    for i in range(3):
        x = source[i]["A"]
        assert x.shape == (3, 32, 32) and -1 <= x.min() and x.max() <= 1
    deep = [p.name for p in source.paths_a].index("deep.png")
    assert abs(source[deep]["A"].mean().item() - (50000 / 257 / 127.5 - 1)) < 0.01  # 16-bit scaled, not clipped
    gray, _ = open_translation_data(_dcfg(tmp_path, input_nc=1), "unpaired")
    assert gray[0]["A"].shape == (1, 32, 32) and gray[0]["B"].shape == (3, 32, 32)


def test_layout_errors_name_the_folder_and_the_fix(tmp_path):
    (tmp_path / "trainA").mkdir()
    with pytest.raises(TranslateError, match=r"needs trainA/ and trainB/ folders.*found trainA/"):
        open_translation_data(_dcfg(tmp_path), "unpaired")
    (tmp_path / "trainB").mkdir()
    with pytest.raises(TranslateError, match="trainA holds no images"):
        open_translation_data(_dcfg(tmp_path), "unpaired")
    with pytest.raises(TranslateError, match="paired data needs train/ with side-by-side A|B images"):
        open_translation_data(_dcfg(tmp_path / "trainA"), "paired")
    with pytest.raises(TranslateError, match="neither a folder .* nor an official data set name"):
        open_translation_data(_dcfg(tmp_path / "nope"), "paired")


def test_preprocess_none_rounds_to_multiples_of_4():
    pre = Preprocess("none", 0, 0, flip=False)
    assert pre(np.zeros((37, 53, 3), np.uint8), 0).shape == (36, 52, 3)
    sw = Preprocess("scale_width", 64, 32, flip=False)
    assert sw(np.zeros((30, 120, 3), np.uint8), 0).shape == (32, 64, 3)  # height kept >= crop


# ---------------------------------------------------------------------------------------- image pool
def test_image_pool_fills_then_swaps_half_the_time():
    torch.manual_seed(0)
    pool = ImagePool(4)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling: every fake goes in and comes straight back
    returned_old = 0
    for step in range(200):
        x = torch.full((1, 1, 1, 1), 100.0 + step)
        out = pool.query(x)
        if out.item() != x.item():
            returned_old += 1
            assert out.item() < x.item()  # a stored, earlier fake
    assert 70 < returned_old < 130  # probability 1/2
    restored = ImagePool(4)
    restored.load_state(pool.state())
    assert torch.equal(restored.images, pool.images) and restored.count == 4
    assert torch.equal(ImagePool(0).query(first), first)


# ----------------------------------------------------------------------------------------- schedule
def test_epoch_schedule_equals_the_official_lambda_rule_at_epoch_boundaries(unpaired_root, tmp_path):
    n_epochs, n_decay = 3, 4
    # The official scheduler: LambdaLR with lambda_rule, stepped at the beginning of every epoch.
    opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=2e-4)
    rule = lambda e: 1.0 - max(0, e + 1 - n_epochs) / float(n_decay + 1)  # noqa: E731  (epoch_count = 1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, rule)
    official = []
    for _ in range(n_epochs + n_decay):
        with warnings.catch_warnings():  # the official loop, too, steps the scheduler before any optimizer step
            warnings.simplefilter("ignore", UserWarning)
            sched.step()
        official.append(opt.param_groups[0]["lr"])
    ours = [2e-4 * epoch_lr_factor(e, n_epochs, n_decay) for e in range(n_epochs + n_decay)]
    assert ours == pytest.approx(official, abs=1e-12)
    # and the trainer applies it per epoch of steps: 6 examples / batch 2 = 3 steps per epoch
    cfg = make_config("cyclegan", str(unpaired_root), train={"epochs": n_epochs, "epochs_decay": n_decay})
    tr = Trainer(cfg, tmp_path / "r", quiet=True)
    assert tr.cfg.train.steps == 3 * (n_epochs + n_decay)
    for epoch in range(n_epochs + n_decay):
        for tr.step in (3 * epoch, 3 * epoch + 2):
            tr._set_learning_rates()
            assert tr.optimizers["G"].param_groups[0]["lr"] == pytest.approx(official[epoch], abs=1e-12)


# ----------------------------------------------------------------------------------------- learning
def _column(run, name: str) -> np.ndarray:
    with open(run / "losses.csv") as f:
        return np.array([float(r[name]) for r in csv.DictReader(f)])


def test_pix2pix_overfits_one_pair(tmp_path, paired_root):
    """Isola et al.: with the L1 term G reproduces a training target; on one pair the L1 distance must
    fall far below its start within a few hundred steps (64 px, tiny U-Net)."""
    data = SHARED_DATA / "facades" if (SHARED_DATA / "facades" / "train").is_dir() else paired_root
    cfg = make_config("pix2pix", str(data), train={"steps": 200, "batch_size": 1, "lr_decay": 0, "log_every": 50},
                      model_kw={"netG": "unet_64", "ngf": 16, "ndf": 8},
                      data_kw={"max_images": 1, "load_size": 64, "crop_size": 64, "flip": False, "direction": "BtoA"})
    run = Trainer(cfg, tmp_path / "p2p", quiet=True).fit()
    l1 = _column(run, "l1")
    assert l1[-20:].mean() < 0.4 * l1[:5].mean(), (l1[:5], l1[-20:])
    assert (run / "samples" / "latest.png").is_file() and (run / "bundle" / "model.safetensors").is_file()


@pytest.mark.parametrize("d_steps", [1, 2])
def test_pix2pix_runs_g_once_per_d_update_and_reuses_its_fake(tmp_path, paired_root, d_steps):
    """The official order: fake = G(A); D steps on fake.detach(); G steps on the same fake through the
    updated D. So one G forward per D update (none of its own), BatchNorm statistics tracked once per
    forward, and G's update uses D's last batch."""
    cfg = make_config("pix2pix", str(paired_root), train={"steps": 3, "d_steps": d_steps, "sample_every": 100})
    tr = Trainer(cfg, tmp_path / "r", quiet=True)
    calls = []
    # sample grids run G under no_grad (per image, statistics frozen); count the training passes only
    tr.model.G.register_forward_hook(lambda m, i, o: calls.append((torch.is_grad_enabled(), o.requires_grad)))
    seen_by_d = []
    tr.model.D.register_forward_hook(lambda m, i, o: seen_by_d.append(i[0].requires_grad))
    tr.fit()
    training_calls = [c for c in calls if c[0]]
    assert len(training_calls) == 3 * d_steps
    # the last D update of each step builds G's graph (for G's update); earlier ones need none
    assert [g for _, g in training_calls] == ([False] * (d_steps - 1) + [True]) * 3
    bn = [m for m in tr.model.G.modules() if isinstance(m, torch.nn.BatchNorm2d)][0]
    assert int(bn.num_batches_tracked) == 3 * d_steps
    assert tr.stream.position == 3 * d_steps  # no batch of G's own
    assert any(seen_by_d)  # G's adversarial term reached D with a graph back to G


def test_cyclegan_cycle_loss_falls_on_a_fixed_batch(tmp_path, unpaired_root):
    cfg = make_config("cyclegan", str(unpaired_root), train={"steps": 50, "lr_decay": 0, "log_every": 10},
                      model_kw={"ngf": 8, "ndf": 8},
                      data_kw={"max_images": 2, "flip": False, "serial_batches": True, "load_size": 32})
    run = Trainer(cfg, tmp_path / "cg", quiet=True).fit()
    cycle = _column(run, "cycle_A") + _column(run, "cycle_B")
    assert cycle[-10:].mean() < 0.5 * cycle[:3].mean(), (cycle[:3], cycle[-10:])
    grid = Image.open(run / "samples" / "latest.png")
    assert grid.size == (6 * 34 + 2, 2 * 34 + 2 + 14)  # 2 rows of A | G_AB(A) | rec A | B | G_BA(B) | rec B, labelled


def test_batched_cyclegan_passes_equal_separate_passes(unpaired_root):
    """With InstanceNorm the model runs G_AB on [a, b] at once; that must equal two separate calls."""
    from translate.models.configs import CycleGANConfig
    from translate.models.cyclegan import CycleGAN

    source, info = open_translation_data(_dcfg(unpaired_root), "unpaired")
    model = CycleGAN(CycleGANConfig(netG="resnet_6blocks", ngf=8, ndf=8), info)
    batch = source.collate([source[(i, i)] for i in range(2)])
    torch.manual_seed(0)
    batched = model._generate(batch["A"], batch["B"])
    model.batched = False
    separate = model._generate(batch["A"], batch["B"])
    for x, y in zip(batched, separate):
        assert (x - y).abs().max() < 1e-5


def test_cyclegan_with_k_discriminator_steps_counts_its_updates(tmp_path, unpaired_root):
    """G-first order needs k = 1; with --d-steps 3 every D update draws its own batch and fakes."""
    tr = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 2, "d_steps": 3}), tmp_path / "r",
                 quiet=True)
    assert [p.roles for p in tr.phases] == [("D",), ("G",)] and tr.phases[0].repeat == 3
    counts = {"G": 0, "D": 0}
    for role, opt in tr.optimizers.items():
        opt.register_step_post_hook(lambda *a, role=role: counts.__setitem__(role, counts[role] + 1))
    tr.fit()
    assert counts == {"G": 2, "D": 6} and tr.stream.position == 2 * (3 + 1)


# ---------------------------------------------------------------------------------------- inference
def test_image_translator_keeps_size_mode_and_alpha(tmp_path, unpaired_root):
    """Any size comes back at its size (pad to the multiple, crop back); RGBA keeps its alpha; grayscale
    stays grayscale; numpy in -> numpy out; the result equals the generator on a padded tensor."""
    import translate
    from translate.inference import ImageTranslator

    run = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 1}), tmp_path / "r", quiet=True).fit()
    tr = translate.load(run / "bundle", direction="BtoA", scale="native", precision="fp32")  # (work scale: below)
    assert isinstance(tr, ImageTranslator) and tr.multiple == 4
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (37, 45, 3), dtype=np.uint8))
    out = tr(rgb)
    assert out.size == (45, 37) and out.mode == "RGB"
    rgba = Image.fromarray(rng.integers(0, 255, (21, 30, 4), dtype=np.uint8), "RGBA")
    o = tr(rgba)
    assert o.mode == "RGBA" and np.array_equal(np.asarray(o)[:, :, 3], np.asarray(rgba)[:, :, 3])
    g = tr(Image.fromarray(rng.integers(0, 255, (19, 23), dtype=np.uint8)))
    assert g.mode == "L" and g.size == (23, 19)
    arr = tr([np.asarray(rgb)])[0]
    assert isinstance(arr, np.ndarray) and arr.shape == (37, 45, 3) and np.array_equal(arr, np.asarray(out))
    x = torch.rand(2, 3, 37, 45) * 2 - 1
    padded = torch.nn.functional.pad(x, (0, 3, 0, 3), mode="reflect")
    with torch.no_grad():
        want = tr.G(padded)[..., :37, :45]
    assert torch.allclose(tr(x), want, atol=1e-6)
    assert tr(rgb, max_side=20).size == (20, 16)
    with pytest.raises(TranslateError, match="translates AtoB, BtoA; no 'sideways'"):
        translate.load(run / "bundle", direction="sideways")


def test_work_side_follows_the_model_family_and_the_option():
    """auto: CycleGAN and CUT work at their training crop size (the official test.py's scale), pix2pix and
    channel-changing nets at the input's resolution; an explicit side or "native" overrides; nonsense is a
    one-line error."""
    from translate.inference import work_side

    cg = {"model": "cyclegan", "train_size": 128, "in_channels": 3, "out_channels": 3}
    assert work_side(cg) == 128 and work_side({**cg, "model": "fastcut"}) == 128
    assert work_side(cg, "native") == 0 and work_side(cg, 200) == 200 and work_side(cg, "96") == 96
    assert work_side(cg, 0) == 0  # 0: no work side, as the return value says
    assert work_side({**cg, "model": "pix2pix"}) == 0 and work_side({**cg, "model": "pix2pix"}, "train") == 128
    assert work_side({**cg, "out_channels": 1}) == 0  # a gray -> colour net is not a re-texturing of the input
    assert work_side({**cg, "train_size": 0}) == 0  # scale_width training: no fixed crop size to return to
    assert work_side({**cg, "train_frame": 143}) == 128  # official test.py: the crop size, 256/286 of the frame
    assert work_side({**cg, "train_frame": 256}) == 229  # crops of photos loaded larger: a larger work side
    with pytest.raises(TranslateError, match="use one of auto, train, native"):
        work_side(cg, "large")
    with pytest.raises(TranslateError, match="below 8 pixels"):
        work_side(cg, 4)


def test_at_work_scale_keeps_the_input_under_an_identity_net_and_takes_colour_from_the_net():
    """out = up(G(down(x))) + (x - up(down(x))): an identity G gives x back exactly (the detail term is what
    the round trip lost); a G that paints everything one colour gives that colour in the mean, with only
    the input's fine detail left on it; the net runs at the work side, aspect kept."""
    from translate.inference import at_work_scale

    x = torch.rand(2, 3, 90, 150) * 2 - 1
    seen = []

    def identity(t):
        seen.append(tuple(t.shape[-2:]))
        return t

    assert torch.allclose(at_work_scale(identity, x, 30), x.clamp(-1, 1), atol=1e-5)
    assert seen == [(30, 50)]
    smooth = torch.nn.functional.interpolate(torch.rand(1, 3, 6, 10) * 0.4 - 0.2, size=(90, 150), mode="bilinear")
    out = at_work_scale(lambda t: torch.full_like(t, 0.5), smooth, 30)
    assert abs(out.mean().item() - 0.5) < 0.01 and (out - 0.5).abs().max() < 0.05  # a smooth input adds no detail


def test_image_translator_works_at_the_training_scale_unless_told_otherwise(cyclegan_bundle):
    """A CycleGAN bundle trained on 32 px crops of photos resized to 36 runs a 96x64 image at 48x32 (work
    side round(36 * 256/286) = 32) and returns 96x64; --scale native runs the net on every pixel; inputs at
    or below the work side are untouched by the rescaling."""
    import translate

    calls = []
    for scale, want in (("auto", (32, 48)), ("native", (64, 96)), (40, (40, 60))):
        tr = translate.load(cyclegan_bundle, device="cpu", scale=scale)
        assert tr.config["train_size"] == 32 and tr.config["train_frame"] == 36
        hook = tr.G.register_forward_pre_hook(lambda m, a: calls.append(tuple(a[0].shape[-2:])))
        out = tr(Image.fromarray(np.zeros((64, 96, 3), np.uint8)))
        assert out.size == (96, 64) and calls[-1] == want, (scale, calls)
        hook.remove()
    tr = translate.load(cyclegan_bundle, device="cpu", precision="fp32")
    small = torch.rand(1, 3, 32, 44) * 2 - 1
    with torch.no_grad():
        want = tr.G(small)
    assert torch.allclose(tr(small), want, atol=1e-6)
    assert "work side 32 px" in tr.scale_note and "native" in translate.load(cyclegan_bundle, scale="native").scale_note


def test_init_from_starts_the_generators_from_a_checkpoint_and_refuses_another_architecture(
        cyclegan_bundle, unpaired_root, tmp_path):
    """--init-from: a new CycleGAN run's generators start as the bundle's (discriminators fresh); a CUT run
    in direction BtoA takes the bundle's BtoA net; another width is a one-line error naming both nets."""
    from translate.storage.checkpoint import load_checkpoint

    _, want = load_checkpoint(cyclegan_bundle)
    t = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 1, "init_from": str(cyclegan_bundle)}),
                tmp_path / "ft", quiet=True)
    for k, v in t.model.G_BA.state_dict().items():
        assert torch.equal(v, want[f"G_BA.{k}"].float()), k
    fresh = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 1, "seed": 5}), tmp_path / "f",
                    quiet=True)
    assert not torch.equal(fresh.model.G_AB.state_dict()["model.1.weight"], want["G_AB.model.1.weight"].float())
    run = t.fit()
    state = json.loads((run / "config.json").read_text())
    assert state["train"]["init_from"] == str(cyclegan_bundle)  # recorded, so the run says where it began
    assert load_file(str(next((run / "state").iterdir()) / "weights.safetensors"))  # a normal run from here on
    cut = Trainer(make_config("cut", str(unpaired_root), train={"steps": 1, "init_from": str(cyclegan_bundle)},
                              data_kw={"direction": "BtoA"}, model_kw={"antialias": False, "antialias_up": False}),
                  tmp_path / "cut", quiet=True)
    assert torch.equal(cut.model.G.state_dict()["model.1.weight"], want["G_BA.model.1.weight"].float())
    with pytest.raises(TranslateError, match=r"its AtoB net is resnet_g \(.*ngf=4.*this run builds resnet_g "
                                             r"\(.*ngf=8.*give the options that make them equal \(ngf\)"):
        Trainer(make_config("cyclegan", str(unpaired_root), train={"init_from": str(cyclegan_bundle)},
                            model_kw={"ngf": 8}), tmp_path / "wide", quiet=True)


def test_init_from_turns_transposed_convs_into_anti_aliased_upsampling(cyclegan_bundle, unpaired_root, tmp_path):
    """--init-from a transposed-conv bundle into an --antialias-up run: the new generator computes the bundle's
    with a 4x4 binomial blur after each transposed conv (away from the borders), the checkerboard filtered out;
    no other difference in the nets is bridged."""
    import torch.nn.functional as F

    import translate

    t = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 1, "init_from": str(cyclegan_bundle)},
                            model_kw={"antialias_up": True}), tmp_path / "aa", quiet=True)
    plain = translate.load(cyclegan_bundle, direction="AtoB").G.float()
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        got, unblurred = t.model.G_AB.eval()(x), plain(x)
    binomial = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8

    def blurred(module, inputs, out):  # an even-sized filter: one more row and column of padding before
        c = out.shape[1]
        return F.conv2d(F.pad(out, (2, 1, 2, 1), mode="replicate"),
                        (binomial[:, None] * binomial[None, :]).expand(c, 1, 4, 4), groups=c)
    for m in plain.modules():
        if isinstance(m, torch.nn.ConvTranspose2d):
            m.register_forward_hook(blurred)
    with torch.no_grad():
        want = plain(x)
    assert (got - want)[..., 16:-16, 16:-16].abs().max() < 0.05  # interior: instance norm sees the borders
    assert (got - unblurred)[..., 16:-16, 16:-16].abs().max() > 0.05  # and the blur did change the net
    with pytest.raises(TranslateError, match=r"give the options that make them equal \(antialias_up, ngf\)"):
        Trainer(make_config("cyclegan", str(unpaired_root), train={"init_from": str(cyclegan_bundle)},
                            model_kw={"antialias_up": True, "ngf": 8}), tmp_path / "wide", quiet=True)


def test_antialias_d_changes_the_discriminators_alone(cyclegan_bundle, unpaired_root, tmp_path):
    """--antialias-d: the PatchGANs blur before each subsampling (CUT's discriminator), the generators stay the
    plain ones, so a transposed-conv bundle still starts the run unchanged."""
    from translate.nets.antialias import Downsample
    from translate.storage.checkpoint import load_checkpoint

    _, want = load_checkpoint(cyclegan_bundle)
    t = Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 1, "init_from": str(cyclegan_bundle)},
                            model_kw={"antialias_d": True}), tmp_path / "aad", quiet=True)
    for k, v in t.model.G_AB.state_dict().items():
        assert torch.equal(v, want[f"G_AB.{k}"].float()), k
    for d in (t.model.D_A, t.model.D_B):
        assert sum(isinstance(m, Downsample) for m in d.modules()) == 3  # before each of the 3 subsamplings
    assert not any(isinstance(m, Downsample) for m in t.model.G_AB.modules())
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    assert t.model.D_A(x).shape == (1, 1, 6, 6)  # the 70x70 PatchGAN's grid at 64 px, as without it
