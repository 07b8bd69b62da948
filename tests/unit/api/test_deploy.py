"""Paste Deploy builds a pipeline for each auth strategy."""

import pytest

from sora_api import conf as sora_conf
from sora_api import exception
from sora_api import services
from sora_api.api import deploy
from sora_api.api import router
from sora_api.api.middleware import access_log
from sora_api.api.middleware import auth
from sora_api.api.middleware import body_limit
from sora_api.api.middleware import fault
from sora_api.api.middleware import metrics
from sora_api.api.middleware import request_id


def _layers(app):
    layers = []
    while app is not None:
        layers.append(type(app))
        app = getattr(app, 'application', None) or getattr(app, '_app', None)
    return layers


@pytest.fixture
def make_app(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))

    def _make(strategy):
        conf.set_override('auth_strategy', strategy, group='api')
        return deploy.load_app(services.Services(conf))
    return _make


def test_token_pipeline_is_in_the_documented_order(make_app):
    assert _layers(make_app('token')) == [
        request_id.RequestId, metrics.Metrics, access_log.AccessLog,
        fault.FaultWrapper, body_limit.BodyLimit, auth.TokenAuth,
        router.Application]


def test_noauth_pipeline_swaps_only_the_auth_layer(make_app):
    assert _layers(make_app('noauth'))[5] is auth.NoAuth


def test_keystone_pipeline_puts_auth_token_before_the_context(make_app):
    from keystonemiddleware import auth_token
    layers = _layers(make_app('keystone'))
    assert layers[5] is auth_token.AuthProtocol
    assert layers[6] is auth.KeystoneContext
    assert layers[-1] is router.Application


def test_the_shipped_paste_file_is_found_by_default(conf):
    path = deploy.find_paste_config(conf)
    assert path.endswith('api-paste.ini')
    with open(path) as f:
        assert '[composite:sora-api]' in f.read()


def test_a_missing_paste_file_is_a_clear_configuration_error(conf):
    conf.set_override('api_paste_config', 'nowhere.ini', group='api')
    with pytest.raises(exception.ConfigurationError, match='nowhere.ini'):
        deploy.find_paste_config(conf)


def test_a_paste_file_in_a_config_dir_is_found_first(tmp_path):
    (tmp_path / 'api-paste.ini').write_text('[composite:sora-api]\n')
    conf = sora_conf.new_config(['--config-dir', str(tmp_path)],
                                default_config_files=[])
    assert deploy.find_paste_config(conf) == str(tmp_path / 'api-paste.ini')
