"""The shape of the tree (issue 21), checked from its imports and its registries: no import circle, data never
imports models, the trainer names no model family, errors are ordinary exceptions, the training step is data
(any number of roles, nets built after a first forward pass), and a new objective or data set is one file plus
one registry entry."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from conftest import make_config

from translate import errors
from translate.registry import DATASETS, MODELS, OBJECTIVES, Entry

PACKAGE = Path(__file__).resolve().parents[1] / "translate"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """module -> the translate modules it imports, anywhere in the file (lazy imports count)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
                targets = subs or [node.module]  # `from pkg import submodule` imports the submodule
            found |= {t for t in targets if t in modules and t != name}
        graph[name] = found
    return graph


def test_no_import_circle():
    graph = _imports()
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(n):] + [m, n]))
            if n not in state:
                visit(n, stack + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_layers_depend_downwards_only():
    """nets < models < training; data and storage below both; inference and the demo never train."""
    graph = _imports()
    rules = {
        "translate.data": ("translate.models", "translate.training", "translate.inference"),
        "translate.nets": ("translate.models", "translate.training", "translate.data", "translate.inference"),
        "translate.storage": ("translate.models", "translate.training", "translate.inference", "translate.nets"),
        "translate.inference": ("translate.training", "translate.models"),
        "translate.demo": ("translate.training", "translate.models"),
        "translate.training": ("translate.inference",),
    }
    for m, deps in graph.items():
        for package, below in rules.items():
            if m == package or m.startswith(package + "."):
                assert not any(d.startswith(below) for d in deps), (m, sorted(deps))
    trainer = graph["translate.training.trainer"]
    assert not any(d.startswith("translate.models.") and d != "translate.models.base" for d in trainer)


def test_the_layout_shows_the_architecture():
    """A few modules at the top (the public API and what every layer shares), the rest in packages that say
    what they are; no file of the package over 400 lines."""
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top
    for package in ("training", "inference", "storage", "models", "nets", "data", "metrics", "cli"):
        assert (PACKAGE / package / "__init__.py").is_file(), package
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_importing_the_package_changes_no_environment_variable():
    """Only the command line (translate/cli/) may set what a process needs before a library starts."""
    offenders = []
    for p in PACKAGE.rglob("*.py"):
        if "cli" in p.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            target = None
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                target = next((t for t in targets if isinstance(t, ast.Subscript)
                               and "environ" in ast.unparse(t.value)), None)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                writes = node.func.attr in ("setdefault", "update", "pop") and "environ" in ast.unparse(node.func.value)
                if writes or node.func.attr == "putenv":
                    target = node
            if target is not None:
                offenders.append(f"{p.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_the_trainer_names_no_model_family_batch_key_or_bundle_kind():
    """Its code, that is: the strings and names it uses (its docstrings may explain the models)."""
    tree = ast.parse((PACKAGE / "training" / "trainer.py").read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    words = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and id(n) not in docs}
    words |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    words |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for word in ("x", "A", "B", "points", "translator", "sampler", "cyclegan", "pix2pix", "G", "D"):
        assert word not in words, word


def test_no_system_exit_outside_the_command_line():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if "SystemExit" in p.read_text() and "cli" not in p.relative_to(PACKAGE).parts]
    assert offenders == []


def test_every_error_family_is_an_ordinary_catchable_exception(tmp_path):
    from translate.config import DataConfig
    from translate.data import open_data
    from translate.data.download import dataset_url
    from translate.device import autocast_dtype
    from translate.inference.convert import plan_conversion
    from translate.storage.checkpoint import load_checkpoint

    cases = {
        errors.DataError: lambda: open_data(DataConfig(data=str(tmp_path / "nowhere")), "dcgan", ("images",)),
        errors.CheckpointError: lambda: load_checkpoint(tmp_path / "no-checkpoint"),
        errors.OptionError: lambda: autocast_dtype("fp16", torch.device("cpu")),
        errors.UnknownNameError: lambda: MODELS.get("dcgna"),
        errors.DownloadError: lambda: dataset_url("no-such-set"),
        errors.ConvertError: lambda: plan_conversion(tmp_path / "missing", tmp_path / "out"),
    }
    for family, trigger in cases.items():
        try:
            trigger()
        except Exception as e:  # noqa: BLE001 - the point: a plain `except Exception` catches every family
            assert isinstance(e, family) and isinstance(e, errors.TranslateError), (family, type(e))
            assert str(e) and "\n" not in str(e).strip()
        else:
            raise AssertionError(f"{family.__name__} was not raised")
    assert isinstance(errors.UnknownNameError("x"), KeyError) and isinstance(errors.OptionError("x"), ValueError)


def test_field_names_become_flags_only_on_the_command_line():
    assert errors.as_flags("pass `crop_size` 64 or `netG` unet_64") == "pass --crop-size 64 or --netG unet_64"


# ------------------------------------------------------------------------ the training step as data
from translate.models.base import Phase, loss_output  # noqa: E402
from translate.models.gan import GAN  # noqa: E402


class TwoCriticGAN(GAN):
    """A test model with three roles: G, D, and a second critic "C" whose size is known only from a first
    batch (built in `setup`, as CUT's projection head is). C trains with D's settings, once per step."""

    name = "twocritic"

    def setup(self, batch):
        dim = batch["x"].shape[1]
        self.C = torch.nn.Sequential(torch.nn.Linear(dim, 8), torch.nn.LeakyReLU(0.2), torch.nn.Linear(8, 1))

    def roles(self):
        return {**super().roles(), "C": list(self.C.parameters())}

    def role_settings(self, role):
        return "d" if role in ("D", "C") else "g"

    def phases(self, d_steps):
        return [Phase(("D",), "d_loss", repeat=d_steps), Phase(("C",), "c_loss"), Phase(("G",), "g_loss")]

    def c_loss(self, batch, fakes=None):
        fake = self._generate(self.G, self._noise(batch["x"]))
        terms = self.objective.d_terms(self.C(batch["x"]).squeeze(1), self.C(fake.detach()).squeeze(1))
        return loss_output({f"c_{k}": v for k, v in terms.items()})

    def g_loss(self, batch, fakes=None):
        fake = self._generate(self.G, self._noise(batch["x"]))
        return loss_output({"g_adv": self.objective.g_loss(self.D(fake)),
                            "g_c": self.objective.g_loss(self.C(fake).squeeze(1))})


@pytest.fixture
def registered(monkeypatch):
    """Register names the way a new file would: one entry each."""
    def add(registry, name, target, **info):
        monkeypatch.setitem(registry._entries, name, Entry(target, info))
    return add


def test_three_roles_each_with_its_optimizer_settings_and_exact_resume(tmp_path, registered):
    from translate.training.trainer import Trainer

    registered(MODELS, "twocritic", "test_architecture:TwoCriticGAN",
               config="translate.models.configs:GANConfig", data_kinds=("points",))
    train = {"steps": 4, "d_steps": 2, "lr_g": 1e-4, "lr_d": 3e-4, "checkpoint_every": 2, "sample_every": 100}
    tr = Trainer(make_config("twocritic", "ring8", train=train), tmp_path / "a", quiet=True)
    assert set(tr.optimizers) == {"G", "D", "C"}
    assert tr.optimizers["C"].param_groups[0]["lr"] == tr.optimizers["D"].param_groups[0]["lr"] == 3e-4
    counts = {r: 0 for r in tr.optimizers}
    for role, opt in tr.optimizers.items():
        opt.register_step_post_hook(lambda *a, role=role: counts.__setitem__(role, counts[role] + 1))
    tr.fit()
    assert counts == {"D": 8, "C": 4, "G": 4} and tr.stream.position == 4 * (2 + 1 + 1)
    straight = {k: v.clone() for k, v in tr.model.state_dict().items()}

    cfg = make_config("twocritic", "ring8", train={**train, "steps": 2})
    Trainer(cfg, tmp_path / "b", quiet=True).fit()
    cfg.train.steps = 4
    resumed = Trainer(cfg, tmp_path / "b", resume=True, quiet=True)
    assert resumed.optimizers["C"].state  # the late-built net's optimizer state came back
    resumed.fit()
    for k, v in resumed.model.state_dict().items():
        assert torch.equal(v, straight[k]), k


def test_phases_that_do_not_match_the_roles_are_refused(tmp_path, registered, monkeypatch):
    from translate.training.trainer import Trainer

    registered(MODELS, "twocritic", "test_architecture:TwoCriticGAN",
               config="translate.models.configs:GANConfig", data_kinds=("points",))
    monkeypatch.setattr(TwoCriticGAN, "phases", lambda self, k: [Phase(("D",), "d_loss"), Phase(("G",), "g_loss")])
    with pytest.raises(errors.OptionError, match=r"phases step \['D', 'G'\] but its roles are \['C', 'D', 'G'\]"):
        Trainer(make_config("twocritic", "ring8", train={"steps": 1}), tmp_path / "r", quiet=True)


# ------------------------------------------------------------------- one file + one registry entry
class ReverseKL:
    """A new objective, written as its own class (here the non-saturating game under another name)."""

    name = "test-objective"
    default_gp_weight = 0.0

    def d_terms(self, real, fake):
        softplus = torch.nn.functional.softplus
        return {"d_real": softplus(-real).mean(), "d_fake": softplus(fake).mean()}

    def g_loss(self, fake):
        return -fake.mean()


def open_diagonal(dcfg, kind):
    """A new data set: points on the diagonal, from its opener alone."""
    from translate.data.datasets import ToyMixture
    from translate.data.info import DataInfo

    mix = ToyMixture("ring8")
    mix.centers = torch.tensor([[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]])
    return mix, DataInfo("points", name="diagonal", dim=2)


def test_a_new_objective_and_data_set_are_one_entry_each(tmp_path, registered):
    from translate.training.trainer import Trainer

    registered(OBJECTIVES, "test-objective", "test_architecture:ReverseKL")
    registered(DATASETS, "diagonal", "test_architecture:open_diagonal", kind="points")
    cfg = make_config("gan", "diagonal", train={"steps": 3}, model_kw={"objective": "test-objective"})
    run = Trainer(cfg, tmp_path / "r", quiet=True).fit()
    assert (run / "bundle" / "model.safetensors").is_file()
    assert "diagonal" in DATASETS.names(kind="points")


# ---------------------------------------------------------------- every registered data set opens
LOCAL = [n for n in DATASETS.names() if DATASETS.info(n)["kind"] in ("points", "images") and n != "cifar10"]


@pytest.mark.parametrize("name", LOCAL)
def test_every_local_data_set_opens_and_batches(name, mnist_root):
    from translate.config import DataConfig
    from translate.data import BatchStream, open_data

    pytest.importorskip("sklearn") if name == "digits" else None
    kind = DATASETS.info(name)["kind"]
    model = "gan" if kind == "points" else "cgan"
    source, info = open_data(DataConfig(data=name, root=str(mnist_root), holdout=50), model,
                             MODELS.info(model)["data_kinds"])
    assert info.kind == kind and info.name == name
    batch = next(BatchStream(source, 8, 0, torch.device("cpu")))
    assert batch["x"].shape[0] == 8 and torch.isfinite(batch["x"]).all()
    if DATASETS.info(name).get("labeled"):
        assert info.n_classes == 10 and batch["y"].max() < 10


@pytest.mark.parametrize("name", [n for n in DATASETS.names() if "archive" in DATASETS.info(n)])
def test_every_official_data_set_has_a_download_address(name):
    from translate.data.download import dataset_url

    url = dataset_url(name)
    assert url.endswith((f"/{name}.zip", f"/{name}.tar.gz"))
    assert ("/cyclegan/" in url) == (DATASETS.info(name)["kind"] == "unpaired")
