import pytest

from electroforge.campaigns import DEFAULT_WORKSPACE, resolve_workspace
from electroforge.errors import InputError


def test_default_is_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_workspace() == tmp_path.joinpath(DEFAULT_WORKSPACE).relative_to(tmp_path)
    assert (tmp_path / "electroforge-workspace").is_dir()


def test_a_file_is_not_a_workspace(tmp_path):
    blocker = tmp_path / "ws"
    blocker.write_text("")
    with pytest.raises(InputError, match="not a folder"):
        resolve_workspace(blocker)
