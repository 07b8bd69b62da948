"""``sora_api.wsgi_app``: configuration from the environment, per process."""

import pytest

from sora_api import wsgi_app


def test_the_default_is_sora_conf_in_etc_sora(monkeypatch):
    monkeypatch.setattr(wsgi_app.os.path, 'isfile', lambda path: True)
    assert wsgi_app.config_files({}) == ['/etc/sora/sora.conf']


def test_files_are_named_relative_to_the_directory_in_order(tmp_path):
    for name in ('sora.conf', 'db.conf'):
        (tmp_path / name).write_text('[DEFAULT]\n')
    other = tmp_path / 'elsewhere.conf'
    other.write_text('[DEFAULT]\n')
    env = {'OS_SORA_CONFIG_DIR': str(tmp_path),
           'OS_SORA_CONFIG_FILES': 'sora.conf; db.conf;%s;' % other}
    assert wsgi_app.config_files(env) == [
        str(tmp_path / 'sora.conf'), str(tmp_path / 'db.conf'), str(other)]


def test_a_missing_file_names_the_variables(tmp_path):
    env = {'OS_SORA_CONFIG_DIR': str(tmp_path)}
    with pytest.raises(RuntimeError) as raised:
        wsgi_app.config_files(env)
    message = str(raised.value)
    assert str(tmp_path / 'sora.conf') in message
    assert 'OS_SORA_CONFIG_DIR' in message
    assert 'OS_SORA_CONFIG_FILES' in message


class _Services:
    def __init__(self):
        self.forks = 0

    def after_fork(self):
        self.forks += 1


def test_a_forked_process_resets_its_services_once_before_serving():
    services = _Services()
    app = wsgi_app._PerProcess(lambda environ, start: [b'ok'], services)
    assert app({}, None) == [b'ok']
    assert services.forks == 0
    app._pid = -1  # as if this process were a child forked after loading
    assert app({}, None) == [b'ok']
    assert app({}, None) == [b'ok']
    assert services.forks == 1

