"""Keeps the source free of calls that run code from input (the safety half of the fuzz suite).

Scans the syntax tree of every Python file in graphnas/, scripts/ and benchmarks/ for:
- `torch.load(...)` without `weights_only=True`;
- pickle, cPickle, dill, joblib, marshal and shelve loaders (only graphnas/safe_pickle.py may
  subclass `pickle.Unpickler`, the restricted data unpickler);
- `yaml.load` with any loader but SafeLoader/CSafeLoader, and yaml's unsafe/full loaders;
- builtin `eval`, `exec` and `compile`; `np.load(..., allow_pickle=<anything but False>)`;
- `os.system`, `os.popen` and `subprocess` calls with `shell=True`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("graphnas", "scripts", "benchmarks")
# The one module allowed to touch the pickle machinery: it restricts what may be unpickled.
PICKLE_ALLOWED = {"graphnas/safe_pickle.py"}

PICKLE_READERS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("pickle", "Unpickler"),
    ("_pickle", "Unpickler"),
    ("cPickle", "load"),
    ("cPickle", "loads"),
    ("dill", "load"),
    ("dill", "loads"),
    ("joblib", "load"),
    ("marshal", "load"),
    ("marshal", "loads"),
    ("shelve", "open"),
    ("pd", "read_pickle"),
    ("pandas", "read_pickle"),
    ("torch.jit", "load"),
}
YAML_UNSAFE = {"unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all"}
YAML_SAFE_LOADERS = {"SafeLoader", "CSafeLoader"}
YAML_UNSAFE_LOADERS = {"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader"}
SHELL_CALLS = {("os", "system"), ("os", "popen")}
SUBPROCESS_CALLS = {"run", "call", "check_call", "check_output", "Popen"}


def dotted(node: ast.AST) -> str:
    """'a.b.c' for a Name/Attribute chain, '' otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def is_constant(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def unsafe_uses(source: str, relative: str) -> list[str]:
    """Every unsafe use in one file, as 'path:line: what'."""
    found: list[str] = []
    tree = ast.parse(source, filename=relative)

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{relative}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (node.module, alias.name) in PICKLE_READERS and relative not in PICKLE_ALLOWED:
                    report(node, f"imports {node.module}.{alias.name}")
                if node.module == "yaml" and alias.name in YAML_UNSAFE | {"load"}:
                    report(node, f"imports yaml.{alias.name}")
        if isinstance(node, ast.Attribute):
            name = dotted(node)
            owner, _, attr = name.rpartition(".")
            if (owner, attr) in PICKLE_READERS and relative not in PICKLE_ALLOWED:
                report(node, f"uses {name}")
            if owner == "yaml" and attr in YAML_UNSAFE | YAML_UNSAFE_LOADERS:
                report(node, f"uses {name}")
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        owner, _, attr = name.rpartition(".")
        if name in ("eval", "exec", "compile"):
            report(node, f"calls builtin {name}()")
        if name == "torch.load" and not is_constant(keyword(node, "weights_only"), True):
            report(node, "torch.load without weights_only=True")
        if name == "yaml.load":
            loader = keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            if loader is None or dotted(loader).rpartition(".")[2] not in YAML_SAFE_LOADERS:
                report(node, "yaml.load without a safe Loader")
        if attr == "load" and owner in ("np", "numpy"):
            allow = keyword(node, "allow_pickle")
            if allow is not None and not is_constant(allow, False):
                report(node, "np.load with allow_pickle")
        if (owner, attr) in SHELL_CALLS:
            report(node, f"calls {name}")
        shell = keyword(node, "shell")
        shell_on = shell is not None and not is_constant(shell, False)
        if owner == "subprocess" and attr in SUBPROCESS_CALLS and shell_on:
            report(node, f"{name} with shell=True")
    return found


def scanned_files() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (REPO / folder).rglob("*.py"))


def test_the_package_has_no_unsafe_loading_or_evaluation() -> None:
    files = scanned_files()
    assert any(p.name == "safe_pickle.py" for p in files)  # the scan sees the package
    problems = [
        problem
        for path in files
        for problem in unsafe_uses(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("import torch\ntorch.load(p)", "torch.load without weights_only=True"),
        ("import torch\ntorch.load(p, weights_only=False)", "torch.load without weights_only"),
        ("import pickle\npickle.loads(b)", "uses pickle.loads"),
        ("from pickle import Unpickler", "imports pickle.Unpickler"),
        ("import yaml\nyaml.load(t)", "yaml.load without a safe Loader"),
        ("import yaml\nyaml.load(t, Loader=yaml.Loader)", "uses yaml.Loader"),
        ("import yaml\nyaml.full_load(t)", "uses yaml.full_load"),
        ("x = eval(text)", "calls builtin eval()"),
        ("exec(code)", "calls builtin exec()"),
        ("import numpy as np\nnp.load(f, allow_pickle=True)", "np.load with allow_pickle"),
        ("import os\nos.system(cmd)", "calls os.system"),
        ("import subprocess\nsubprocess.run(c, shell=True)", "subprocess.run with shell=True"),
        ("import joblib\njoblib.load(p)", "uses joblib.load"),
    ],
)
def test_the_scanner_catches_each_unsafe_form(snippet: str, expected: str) -> None:
    problems = unsafe_uses(snippet, "graphnas/example.py")
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "snippet",
    [
        "import torch\ntorch.load(p, map_location='cpu', weights_only=True)",
        "import yaml\nyaml.safe_load(t)",
        "import yaml\nyaml.load(t, Loader=yaml.CSafeLoader)",
        "import numpy as np\nnp.load(f, allow_pickle=False)\nnp.load(g)",
        "model.eval()\nre.compile('x')\ntorch.compile(m)",
        "import pickle\nblob = pickle.dumps(x)",
        "import subprocess\nsubprocess.run(['dot', '-Tsvg'], check=True)",
    ],
)
def test_the_scanner_accepts_the_safe_forms(snippet: str) -> None:
    assert unsafe_uses(snippet, "graphnas/example.py") == []
