"""Landing and releases at URLs: a file:// landing mirrored by content, a release uploaded and read back."""

import json
import shutil

import pytest

from pipelines.cli import main
from pipelines.remote import RemoteError, mirror_landing, upload_release
from pipelines.resources import SAMPLE_LANDING
from pipelines.storage import sha256_file


def test_mirror_copies_changed_files_only_and_removes_vanished_ones(tmp_path):
    remote = tmp_path / "bucket" / "landing"
    shutil.copytree(SAMPLE_LANDING / "forskningsradet_soknader", remote / "forskningsradet_soknader")
    mirror = tmp_path / "mirror"
    first = mirror_landing(remote.as_uri(), mirror)
    assert first["copied"] == 2 and first["removed"] == 0
    sample = mirror / "forskningsradet_soknader" / "soknader2_sample.csv"
    assert sha256_file(sample) == sha256_file(remote / "forskningsradet_soknader" / "soknader2_sample.csv")
    assert mirror_landing(remote.as_uri(), mirror) == {"copied": 0, "kept": 2, "removed": 0}
    (remote / "forskningsradet_soknader" / "soknader2_sample.csv").write_bytes(b"changed, same size?")
    (remote / "forskningsradet_soknader" / "PROVENANCE.md").unlink()
    assert mirror_landing(remote.as_uri(), mirror) == {"copied": 1, "kept": 0, "removed": 1}
    assert sample.read_bytes() == b"changed, same size?"


def test_a_bad_location_is_refused_with_exit_2(tmp_path, capsys):
    with pytest.raises(RemoteError):
        mirror_landing("nosuchscheme://x/y", tmp_path / "m")
    assert main(["run", "--landing", "nosuchscheme://x/y", "--out", str(tmp_path / "out")]) == 2
    assert "cannot use nosuchscheme://x/y" in capsys.readouterr().err


def test_a_run_from_a_url_uploads_a_verified_release_with_latest_json_last(tmp_path, sample_run):
    remote = tmp_path / "bucket" / "landing"
    shutil.copytree(SAMPLE_LANDING, remote)
    published = tmp_path / "public"
    out = tmp_path / "out"
    code = main(["run", "--landing", remote.as_uri(), "--out", str(out), "--dagster-home", str(tmp_path / "h"),
                 "--publish-to", published.as_uri()])
    assert code == 0
    pointer = json.loads((published / "latest.json").read_text())
    release = published / pointer["path"]
    assert pointer["files"] and all(sha256_file(release / name) == digest for name, digest in pointer["files"].items())
    local = (out / "publish" / "latest").resolve()
    assert pointer["version"] == local.name
    assert (release / "SHA256SUMS").read_bytes() == (local / "SHA256SUMS").read_bytes()


def test_an_unverified_release_is_not_uploaded(tmp_path, sample_run):
    release = tmp_path / "release"
    shutil.copytree((sample_run / "publish" / "latest").resolve(), release)
    (release / "data" / "awards.csv").write_bytes(b"tampered")
    with pytest.raises(RemoteError, match="does not verify"):
        upload_release(release, (tmp_path / "public").as_uri())
    assert not (tmp_path / "public" / "latest.json").exists()
