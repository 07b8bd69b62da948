"""Error answers become the typed exception of their contract code."""

import json

import pytest
import requests

from sora_api.client import exceptions


def response(status, body=None, headers=None, reason=None):
    r = requests.Response()
    r.status_code = status
    r.reason = reason
    r.headers.update(headers or {})
    if isinstance(body, (dict, list)):
        r.headers['Content-Type'] = 'application/json'
        body = json.dumps(body)
    r._content = (body or '').encode('utf-8')
    return r


def error_body(status, code, detail='it went wrong', **extra):
    item = {'status': status, 'code': code, 'title': 'Title',
            'detail': detail, 'request_id': 'req-1234'}
    item.update(extra)
    return {'errors': [item]}


@pytest.mark.parametrize('status, code, cls', [
    (400, 'sora.invalid_request', exceptions.InvalidRequest),
    (401, 'sora.unauthorized', exceptions.Unauthorized),
    (403, 'sora.forbidden', exceptions.Forbidden),
    (403, 'sora.over_quota', exceptions.OverQuota),
    (404, 'sora.not_found', exceptions.NotFound),
    (409, 'sora.conflict', exceptions.Conflict),
    (409, 'sora.no_valid_host', exceptions.NoValidHost),
    (409, 'sora.in_use', exceptions.InUse),
    (422, 'sora.idempotency_mismatch', exceptions.IdempotencyMismatch),
    (503, 'sora.service_unavailable', exceptions.ServiceUnavailable),
])
def test_each_contract_code_has_its_own_exception(status, code, cls):
    error = exceptions.from_response(response(status,
                                              error_body(status, code)))
    assert type(error) is cls
    assert isinstance(error, exceptions.SoraError)
    assert (error.status, error.code) == (status, code)
    assert error.detail == 'it went wrong'
    assert error.request_id == 'req-1234'
    assert error.title == 'Title'


def test_a_stale_if_match_is_a_precondition_failed_conflict():
    error = exceptions.from_response(
        response(412, error_body(412, 'sora.conflict')))
    assert type(error) is exceptions.PreconditionFailed
    assert isinstance(error, exceptions.Conflict)


def test_no_valid_host_carries_the_funnel_into_its_message():
    funnel = [{'filter': 'ComputeFilter', 'hosts_in': 3, 'hosts_out': 2},
              {'filter': 'RamFilter', 'hosts_in': 2, 'hosts_out': 0}]
    error = exceptions.from_response(response(409, error_body(
        409, 'sora.no_valid_host', 'No valid host was found.',
        explanation=funnel)))
    assert error.explanation == funnel
    assert str(error) == (
        'No valid host was found. Filter funnel: ComputeFilter 3->2, '
        'RamFilter 2->0. (HTTP 409, sora.no_valid_host, req-1234)')
    assert '\n' not in str(error)


def test_conflict_subclasses_can_be_caught_as_conflict():
    for code in ('sora.no_valid_host', 'sora.in_use'):
        with pytest.raises(exceptions.Conflict):
            raise exceptions.from_response(response(409,
                                                    error_body(409, code)))


def test_an_unknown_code_falls_back_on_the_status():
    error = exceptions.from_response(
        response(404, error_body(404, 'sora.something_new')))
    assert type(error) is exceptions.NotFound
    assert error.code == 'sora.something_new'


def test_a_page_from_a_proxy_is_typed_by_status_with_its_reason():
    error = exceptions.from_response(response(
        503, '<html>busy</html>', reason='Service Unavailable',
        headers={'X-OpenStack-Request-Id': 'req-from-header'}))
    assert type(error) is exceptions.ServiceUnavailable
    assert error.detail == 'Service Unavailable'
    assert error.code is None
    assert error.request_id == 'req-from-header'


def test_an_unexpected_status_without_a_body_is_a_plain_sora_error():
    error = exceptions.from_response(response(502))
    assert type(error) is exceptions.SoraError
    assert str(error) == 'HTTP 502 (HTTP 502)'


def test_a_body_of_the_wrong_shape_does_not_break_the_mapping():
    for body in ({'errors': []}, {'errors': ['text']}, [1, 2], {'x': 1}):
        error = exceptions.from_response(response(400, body))
        assert type(error) is exceptions.InvalidRequest
