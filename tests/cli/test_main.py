from electroforge import __version__


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.code == 0
    for command in ("doe", "data", "demo"):
        assert command in result.out


def test_version(cli):
    result = cli("--version")
    assert result.code == 0 and result.out.strip() == f"electroforge {__version__}"
