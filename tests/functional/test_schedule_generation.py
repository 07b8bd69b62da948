"""Schedule ``generation``, its ``ETag`` and ``If-Match`` on the actions."""

import pytest

from tests.functional.server import assert_error


@pytest.fixture
def schedule(api, make_host, unique):
    zone = unique('az')
    make_host(availability_zone=zone)
    response = api.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1}, 'availability_zone': zone,
        'hold_seconds': 3600})
    assert response.status_code == 201, response.text
    return response


def path(response, action=''):
    return '/v1/schedules/%s%s' % (response.json()['schedule']['id'], action)


def show(api, response):
    shown = api.request('GET', path(response), as_='member')
    assert shown.status_code == 200, shown.text
    return shown


def test_a_new_schedule_is_at_generation_1_with_that_etag(api, schedule):
    assert schedule.json()['schedule']['generation'] == 1
    assert schedule.headers['ETag'] == '"1"'
    assert show(api, schedule).headers['ETag'] == '"1"'


def test_a_change_bumps_the_generation_and_the_etag(api, schedule):
    confirmed = api.request('POST', path(schedule, '/confirm'), as_='member',
                            headers={'If-Match': '"1"'})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()['schedule']['generation'] == 2
    assert confirmed.headers['ETag'] == '"2"'
    assert show(api, schedule).json()['schedule']['generation'] == 2


@pytest.mark.parametrize('action', ['/confirm', ''])
@pytest.mark.parametrize('if_match', ['"2"', '"0", "7"', '"abc"', 'W/"x"'])
def test_a_stale_or_malformed_if_match_is_412_and_changes_nothing(
        api, schedule, action, if_match):
    before = show(api, schedule).json()
    method = 'POST' if action else 'DELETE'
    response = api.request(method, path(schedule, action), as_='member',
                           headers={'If-Match': if_match})
    assert_error(response, 412, 'sora.conflict')
    assert show(api, schedule).json() == before


def test_a_matching_if_match_deletes(api, schedule):
    response = api.request('DELETE', path(schedule), as_='member',
                           headers={'If-Match': '"5", "1"'})
    assert response.status_code == 204, response.text
    assert api.request('GET', path(schedule),
                       as_='member').status_code == 404


def test_if_match_star_allows_any_generation(api, schedule):
    response = api.request('POST', path(schedule, '/confirm'), as_='member',
                           headers={'If-Match': '*'})
    assert response.status_code == 200, response.text
