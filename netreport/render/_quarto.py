"""Hand a project to the Quarto CLI when it is installed."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from netreport.errors import NetreportError

__all__ = ["render_with_quarto"]

logger = logging.getLogger(__name__)


def render_with_quarto(project_dir: Path, output_dir: Path | None) -> None:
    """Run ``quarto render`` on `project_dir`.

    Raises
    ------
    NetreportError
        If Quarto is not on the PATH, or if it fails (with its last output).
    """
    quarto = shutil.which("quarto")
    if quarto is None:
        raise NetreportError(
            "engine 'quarto': the Quarto CLI was not found on the PATH. Install it "
            "from https://quarto.org, or use the embedded engine (the default), "
            "which needs neither Quarto nor TeX."
        )
    command = [quarto, "render", str(project_dir)]
    if output_dir is not None:
        command += ["--output-dir", str(output_dir)]
    logger.info("render %s with Quarto (%s)", project_dir, quarto)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise NetreportError(
            f"engine 'quarto': `quarto render {project_dir}` failed with exit code "
            f"{result.returncode}:\n{tail}"
        )
