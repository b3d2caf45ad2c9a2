"""Saving a report or document for a user (issue 7.16): owner-only, never through a symlink,
never half-written. Real files in a temporary folder."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from keyworker.errors import StorageError
from keyworker.reports.files import write_private


def test_saving_over_a_symlink_replaces_the_link_and_leaves_its_target_alone(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's own notes\n")
    os.chmod(precious, 0o644)
    link = tmp_path / "declined-referrals.csv"
    link.symlink_to(precious)
    write_private(link, b"reference,reason\n")
    assert precious.read_text() == "the user's own notes\n"
    assert stat.S_IMODE(precious.stat().st_mode) == 0o644
    assert not link.is_symlink() and link.read_bytes() == b"reference,reason\n"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600


def test_a_dangling_symlink_does_not_create_its_target(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.pdf"
    link = tmp_path / "letter.pdf"
    link.symlink_to(elsewhere)
    write_private(link, b"%PDF-1.4")
    assert not elsewhere.exists()
    assert link.read_bytes() == b"%PDF-1.4" and not link.is_symlink()


def test_an_existing_readable_file_is_replaced_owner_only_and_nothing_is_left_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    out.write_text("old")
    os.chmod(out, 0o644)
    write_private(out, b"new")
    assert out.read_bytes() == b"new" and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_a_refused_save_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    out.mkdir()  # a folder where the file should go is refused before anything is written
    (out / "keep.txt").write_text("kept")
    with pytest.raises(StorageError, match="is a folder"):
        write_private(out, b"new")
    with pytest.raises(StorageError, match="does not exist"):
        write_private(tmp_path / "missing" / "report.csv", b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
    assert (out / "keep.txt").read_text() == "kept"
