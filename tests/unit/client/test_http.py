"""Retries, timeouts and pagination of the HTTP layer, on a fake session."""

import json

import pytest
import requests
from urllib3 import exceptions as urllib3_exceptions

from sora_api.client import exceptions
from sora_api.client import http


def response(status, body=None, headers=None):
    r = requests.Response()
    r.status_code = status
    r.headers.update(headers or {})
    r._content = json.dumps(body).encode() if body is not None else b''
    return r


def refused():
    """A ConnectionError chained as requests chains a refused connection."""
    cause = ConnectionRefusedError(111, 'Connection refused')
    connecting = urllib3_exceptions.NewConnectionError(
        None, 'Failed to establish a new connection')
    connecting.__cause__ = cause
    error = requests.ConnectionError('refused')
    error.__cause__ = connecting
    return error


class FakeSession:
    """Answers (or raises) the queued outcomes and records the requests."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []
        self.headers = {}

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self):
        pass


def client(session, retries=2):
    return http.HTTPClient('http://sora.test:8770/', 'secret',
                           retries=retries, backoff=0, session=session)


def test_the_token_and_json_headers_go_on_the_session():
    session = FakeSession()
    c = client(session)
    assert session.headers['X-Auth-Token'] == 'secret'
    assert session.headers['Accept'] == 'application/json'
    assert c.url == 'http://sora.test:8770'


@pytest.mark.parametrize('url', ['', 'sora.test:8770', 'ftp://x'])
def test_a_url_without_http_scheme_is_refused_up_front(url):
    with pytest.raises(ValueError, match='http'):
        http.HTTPClient(url, 'secret')


def test_a_503_on_a_get_is_retried_until_it_succeeds():
    session = FakeSession(response(503), response(503),
                          response(200, {'hosts': []}))
    assert client(session).get_json('/v1/hosts') == {'hosts': []}
    assert len(session.calls) == 3


def test_a_503_after_the_last_try_is_service_unavailable():
    session = FakeSession(*[response(503)] * 3)
    with pytest.raises(exceptions.ServiceUnavailable):
        client(session).get_json('/v1/hosts')
    assert len(session.calls) == 3


def test_a_503_on_a_plain_post_is_not_retried():
    session = FakeSession(response(503), response(201, {}))
    with pytest.raises(exceptions.ServiceUnavailable):
        client(session).request('POST', '/v1/hosts', json={})
    assert len(session.calls) == 1


def test_a_post_marked_idempotent_is_retried_on_503():
    session = FakeSession(response(503), response(201, {'schedule': {}}))
    client(session).request('POST', '/v1/schedules', json={},
                            idempotent=True)
    assert len(session.calls) == 2


def test_a_refused_connection_is_retried_even_for_a_post():
    session = FakeSession(refused(), response(201, {'host': {}}))
    client(session).request('POST', '/v1/hosts', json={})
    assert len(session.calls) == 2


def test_a_read_timeout_on_a_post_is_not_retried():
    # The server may have acted on it: only an idempotent request repeats.
    session = FakeSession(requests.ReadTimeout('slow'))
    with pytest.raises(exceptions.ConnectionFailed,
                       match='after 1 try: no answer within'):
        client(session).request('POST', '/v1/hosts', json={})


def test_a_read_timeout_on_a_get_is_retried():
    session = FakeSession(requests.ReadTimeout('slow'),
                          response(200, {'hosts': []}))
    client(session).get_json('/v1/hosts')
    assert len(session.calls) == 2


def test_refused_every_time_ends_in_one_clear_error():
    session = FakeSession(refused(), refused(), refused())
    with pytest.raises(exceptions.ConnectionFailed) as caught:
        client(session).get_json('/v1/hosts')
    assert str(caught.value) == (
        'Could not get an answer from http://sora.test:8770/v1/hosts '
        'after 3 tries: Connection refused')
    assert caught.value.status is None


def test_zero_retries_means_one_try():
    session = FakeSession(response(503))
    with pytest.raises(exceptions.ServiceUnavailable):
        client(session, retries=0).get_json('/v1/hosts')
    assert len(session.calls) == 1


def test_every_request_carries_the_timeout():
    session = FakeSession(response(200, {}))
    c = http.HTTPClient('http://sora.test', 't', timeout=4.5,
                        session=session)
    c.get_json('/')
    assert session.calls[0][2]['timeout'] == 4.5


def test_pages_are_followed_through_their_next_links():
    session = FakeSession(
        response(200, {'hosts': [1, 2], 'links': [
            {'rel': 'next', 'href': 'http://elsewhere/v1/hosts?'
                                    'name=a&limit=2&marker=m2'}]}),
        response(200, {'hosts': [3]}))
    items = list(client(session).paginate('/v1/hosts', 'hosts',
                                          {'name': 'a', 'status': None}))
    assert items == [1, 2, 3]
    first, second = session.calls
    assert first[2]['params'] == {'name': 'a'}
    # The link's query, on the client's own URL.
    assert second[1] == 'http://sora.test:8770/v1/hosts'
    assert second[2]['params'] == {'name': ['a'], 'limit': ['2'],
                                   'marker': ['m2']}


def test_a_next_link_that_repeats_stops_the_listing():
    page = {'hosts': [1], 'links': [
        {'rel': 'next', 'href': '/v1/hosts?marker=m1'}]}
    session = FakeSession(response(200, page), response(200, page))
    with pytest.raises(exceptions.SoraError, match='twice'):
        list(client(session).paginate('/v1/hosts', 'hosts'))
