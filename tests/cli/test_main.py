from electroforge import __version__


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.code == 0
    for command in ("doe", "data", "demo"):
        assert command in result.out


def test_version(cli):
    result = cli("--version")
    assert result.code == 0 and result.out.strip() == f"electroforge {__version__}"


def test_a_librarys_deprecation_note_stays_hidden_and_our_warnings_print_one_line(
        cli, monkeypatch):
    import warnings

    from electroforge.cli import doe
    from electroforge.errors import ElectroforgeWarning

    def noisy(args):
        warnings.warn("`torch.jit.script` is deprecated", DeprecationWarning, stacklevel=1)
        warnings.warn("the design is small", ElectroforgeWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(doe, "run", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always")                  # as a test runner sets them
        result = cli("doe", "sobol", "--n", "4", "--out", "d.csv")
        assert result.code == 0
        assert result.err == "electroforge: warning: the design is small\n"
