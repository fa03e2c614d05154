"""Older versions of a run stay readable. After a fit writes a version's files, ``keep_version`` hard-links them
into ``versions/<version>/``; the next fit replaces each file by rename, so a link keeps the old bytes at no copy
cost. ``archived_dir`` finds the folder of a version a link pins once a newer one has replaced it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from models import CONFIG_FILE, WEIGHTS_FILE, read_json

from .folders import run_dir
from .records import VERSION_LEN

VERSIONS_DIR = "versions"
# what one version is: its model, what it measured and logged, and (a lens) the labels it trained on
VERSION_FILES = (CONFIG_FILE, WEIGHTS_FILE, "metrics.json", "history.json", "labels.json")
VERSION = re.compile(rf"^[0-9a-f]{{{VERSION_LEN}}}$")


def keep_version(folder: Path) -> str | None:
    """Link the finished version now in ``folder`` into ``versions/<version>/`` (once; the folder appears whole,
    by rename); returns the version, None when ``folder`` holds no finished weights."""
    sha = read_json(folder / CONFIG_FILE).get("weights_sha256")
    if not sha:
        return None
    version = sha[:VERSION_LEN]
    target = folder / VERSIONS_DIR / version
    if target.is_dir():
        return version
    partial = folder / VERSIONS_DIR / f".{version}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in VERSION_FILES:
        if (folder / name).is_file():
            os.link(folder / name, partial / name)
    try:
        partial.rename(target)
    except OSError:  # another process kept this version first: theirs is the same files
        shutil.rmtree(partial, ignore_errors=True)
    return version


def archived_dir(home: Path, run_id: str, version: str) -> Path | None:
    """The folder of ``run_id``'s kept ``version`` (12 hex digits), None when it was never kept."""
    if not VERSION.fullmatch(version):
        return None
    folder = run_dir(home, run_id) / VERSIONS_DIR / version
    return folder if (folder / CONFIG_FILE).is_file() else None
