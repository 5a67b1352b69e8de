"""The installed package as a student's own script sees it."""

import os
import subprocess
import sys

import pytest


def test_a_folder_named_like_the_package_does_not_shadow_it(tmp_path):
    """A script next to the clone (a folder called tinygrad_edu) still imports the installed package.

    The editable install puts the project folder on sys.path (``package-dir`` in pyproject.toml)
    instead of installing an import hook that runs after Python's own path search: with a hook,
    the clone's folder, which has no ``__init__.py``, was taken as a namespace package and
    ``tinygrad_edu.Tensor`` was missing.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(
        [sys.executable, "-c", "import importlib.util; print(importlib.util.find_spec('tinygrad_edu') is not None)"],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
    )
    if probe.stdout.strip() != "True":
        pytest.skip("tinygrad_edu is not installed in this environment (pip install -e .)")
    (tmp_path / "tinygrad_edu" / "tests").mkdir(parents=True)  # the clone, beside the script
    script = tmp_path / "student.py"
    script.write_text("import tinygrad_edu as tg\nprint(tg.Tensor([1.0, 2.0]).sum().item())\n")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "3.0"
