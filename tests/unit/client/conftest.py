"""The ``sora`` command line parsed in process, without a server."""

import pytest

from sora_api.client import shell


@pytest.fixture
def app():
    return shell.SoraShell()


@pytest.fixture
def parse(app):
    """``parse(cls, argv)``: the arguments command ``cls`` parses."""
    def _parse(cls, argv):
        return cls(app, None).get_parser('sora test').parse_args(argv)
    return _parse


@pytest.fixture
def refused(parse, capsys):
    """``refused(cls, argv)``: the usage error argparse prints for
    ``argv`` (exit status 2)."""
    def _refused(cls, argv):
        with pytest.raises(SystemExit) as caught:
            parse(cls, argv)
        assert caught.value.code == 2
        return capsys.readouterr().err
    return _refused
