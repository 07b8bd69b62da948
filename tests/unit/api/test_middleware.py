"""Middleware of the Paste pipeline, each against a tiny WSGI app."""

import json
import logging

import pytest
import webob

from sora_api.api.middleware import access_log
from sora_api.api.middleware import body_limit
from sora_api.api.middleware import fault
from sora_api.api.middleware import request_id


class _Services:
    def __init__(self, conf):
        self.conf = conf


def _ok(environ, start_response):
    body = environ['wsgi.input'].read()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'read %d bytes' % len(body)]


def _boom(environ, start_response):
    raise RuntimeError('secret internals')


def _stack(app, conf, *layers):
    for layer in reversed(layers):
        app = layer(app, _Services(conf))
    return app


def test_request_id_is_set_on_the_response_and_the_context(conf):
    seen = {}

    def app(environ, start_response):
        seen['context'] = environ[request_id.CONTEXT_KEY]
        return _ok(environ, start_response)

    response = webob.Request.blank('/').get_response(
        _stack(app, conf, request_id.RequestId))
    rid = response.headers['X-OpenStack-Request-Id']
    assert rid.startswith('req-') and len(rid) == 40
    assert seen['context'].request_id == rid


def test_fault_wrapper_turns_a_crash_into_a_contract_500(conf, caplog):
    app = _stack(_boom, conf, request_id.RequestId, fault.FaultWrapper)
    with caplog.at_level(logging.ERROR):
        response = webob.Request.blank('/v1/hosts').get_response(app)
    assert response.status_int == 500
    [error] = json.loads(response.body)['errors']
    assert error['code'] == 'sora.internal_error'
    assert error['request_id'] == response.headers['X-OpenStack-Request-Id']
    assert 'secret internals' not in response.text
    assert 'Traceback' not in response.text
    assert 'secret internals' in caplog.text


def test_access_log_writes_one_line_without_the_token(conf, caplog):
    app = _stack(_ok, conf, request_id.RequestId, access_log.AccessLog)
    req = webob.Request.blank('/v1/hosts?limit=2', method='POST',
                              body=b'12345',
                              headers={'X-Auth-Token': 'sekrit-token'})
    headers = {}

    def start_response(status, response_headers, exc_info=None):
        headers.update(response_headers)

    with caplog.at_level(logging.INFO, logger='sora_api.access'):
        # As a WSGI server does: iterate the body, then close it.
        body = app(req.environ, start_response)
        assert b''.join(body) == b'read 5 bytes'
        body.close()
    lines = [r.getMessage() for r in caplog.records
             if r.name == 'sora_api.access']
    assert len(lines) == 1
    line = lines[0]
    rid = headers['X-OpenStack-Request-Id']
    for part in ('POST /v1/hosts?limit=2', 'status: 200', 'len: 12',
                 'request_id: %s' % rid, 'time: '):
        assert part in line
    assert 'sekrit-token' not in caplog.text


@pytest.mark.parametrize('chunked', [False, True])
def test_body_limit_refuses_a_body_over_the_limit_with_413(conf, chunked):
    conf.set_override('max_request_body_size', 10, group='api')
    app = _stack(_ok, conf, request_id.RequestId, body_limit.BodyLimit)
    req = webob.Request.blank('/', method='POST', body=b'x' * 11)
    if chunked:
        del req.headers['Content-Length']
        req.headers['Transfer-Encoding'] = 'chunked'
    response = req.get_response(app)
    assert response.status_int == 413
    [error] = json.loads(response.body)['errors']
    assert error['status'] == 413


@pytest.mark.parametrize('chunked', [False, True])
def test_body_limit_passes_a_body_at_the_limit_intact(conf, chunked):
    conf.set_override('max_request_body_size', 10, group='api')
    app = _stack(_ok, conf, body_limit.BodyLimit)
    req = webob.Request.blank('/', method='POST', body=b'x' * 10)
    if chunked:
        del req.headers['Content-Length']
        req.headers['Transfer-Encoding'] = 'chunked'
    response = req.get_response(app)
    assert response.status_int == 200
    assert response.body == b'read 10 bytes'
