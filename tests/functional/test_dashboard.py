"""The ``/ui/`` dashboard in a real headless Chromium, against real servers.

Skipped with the reason when Chromium, chromedriver or selenium are missing
(``.ci/run`` installs them and sets ``SORA_TEST_BROWSER=1``, which turns a
missing browser into a failure). ``SORA_SCREENSHOTS=1`` also writes
``docs/dashboard-*.png``.
"""

import os
import time

import pytest

from tests.functional import browser
from tests.functional import server as sora_server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HOST = {'vcpus': 16, 'memory_mb': 65536, 'disk_gb': 500}


@pytest.fixture
def chromium():
    browser.require()
    drivers = []

    def _start(width=1280, height=800):
        drivers.append(browser.start(width, height))
        return drivers[-1]

    yield _start
    for driver in drivers:
        driver.quit()


def _register(srv, count, prefix='host', zones=('az-1', 'az-2')):
    """``count`` hosts through ``POST /v1/hosts/bulk``, 1000 at a time."""
    for start in range(0, count, 1000):
        hosts = [dict(HOST, name='%s-%05d' % (prefix, i),
                      availability_zone=zones[i % len(zones)])
                 for i in range(start, min(count, start + 1000))]
        response = srv.request('POST', '/v1/hosts/bulk', as_='admin',
                               json={'hosts': hosts}, timeout=120)
        assert response.status_code == 201, response.text


def _wait(driver, script, timeout=30):
    """The first truthy value of ``script`` run in the page."""
    return sora_server.wait_for(lambda: driver.execute_script(script),
                                timeout)


def _sign_in(driver, srv, identity, view=''):
    driver.get(srv.url + '/ui/' + ('#' + view if view else ''))
    driver.find_element('id', 'token').send_keys(srv.tokens[identity])
    driver.find_element('css selector', '#login-form button').click()
    _wait(driver, "return document.body.dataset.loaded === 'true'")


def _text(driver, selector):
    return driver.find_element('css selector', selector).text


def test_an_admin_signs_in_and_sees_the_host_count(start_server, chromium):
    srv = start_server()
    _register(srv, 7)
    driver = chromium()
    driver.get(srv.url + '/ui/')
    assert driver.find_element('id', 'token').is_displayed()

    _sign_in(driver, srv, 'admin')

    assert _text(driver, '#count-hosts') == '7'
    # The token is in session storage only: not in the URL, not kept
    # across sessions, not in the server's log.
    assert srv.tokens['admin'] not in driver.current_url
    assert driver.execute_script(
        "return sessionStorage.getItem('sora.token')") == srv.tokens['admin']
    assert driver.execute_script('return localStorage.length') == 0
    assert srv.tokens['admin'] not in srv.log()


def test_a_host_added_through_the_api_appears_without_reloading(
        start_server, chromium):
    srv = start_server()
    _register(srv, 2)
    driver = chromium()
    _sign_in(driver, srv, 'admin', 'hosts')
    driver.execute_script('window.notReloaded = true')

    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=dict(HOST, name='newcomer'))
    assert response.status_code == 201

    _wait(driver, "return document.querySelector('tr[data-host=newcomer]')")
    assert driver.execute_script('return window.notReloaded') is True
    assert '3 of 3 hosts' in _text(driver, '#hosts-summary')


def test_the_events_view_starts_at_the_newest_event_and_follows(
        start_server, chromium):
    srv = start_server()
    # More events than the page narrows the head down to before reading.
    _register(srv, 2500)
    newest = srv.request('GET', '/v1/events?since=2400', as_='admin').json()
    driver = chromium()
    _sign_in(driver, srv, 'admin', 'events')
    shown = [li.text for li in driver.find_elements('css selector',
                                                    '#events-list li')]
    assert len(shown) == 100
    assert ' #%d host.created ' % newest['events'][-1]['id'] in shown[0]
    assert ' #%d host.created ' % (newest['events'][-1]['id'] - 99) \
        in shown[-1]

    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=dict(HOST, name='newcomer'))
    assert response.status_code == 201
    _wait(driver, "return document.querySelector('#events-list li')"
                  ".textContent.endsWith(' newcomer')")
    assert ' #%d host.created ' % newest['next'] in _text(
        driver, '#events-list li')
    # Every host of the three pages the fleet view read, and the new one.
    driver.find_element('css selector', 'a[data-view=fleet]').click()
    _wait(driver, "return document.getElementById('count-hosts')")
    assert _text(driver, '#count-hosts') == '2501'


def test_a_what_if_draws_the_funnel_the_api_computes(start_server, chromium):
    srv = start_server()
    _register(srv, 4)
    small = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'tiny', 'vcpus': 1, 'memory_mb': 512, 'disk_gb': 10})
    assert small.status_code == 201
    driver = chromium()
    _sign_in(driver, srv, 'admin', 'whatif')
    field = driver.find_element('id', 'w-vcpus')
    field.clear()
    field.send_keys('4')
    driver.find_element('css selector', '#whatif-form button').click()
    _wait(driver, "return document.querySelectorAll('#funnel li').length")

    asked = srv.request('POST', '/v1/schedules', as_='admin', json={
        'resources': {'vcpus': 4, 'memory_mb': 2048}, 'dry_run': True})
    expected = ['%s: %d → %d' % (s['filter'], s['hosts_in'], s['hosts_out'])
                for s in asked.json()['explanation']]
    steps = [li.text for li in driver.find_elements(
        'css selector', '#funnel li')]
    assert steps == expected
    assert 'RamFilter: 5 → 4' in steps
    ranked = driver.find_elements('css selector', '#candidates svg text')
    assert ranked[0].text == '1. ' + asked.json()['candidates'][0][
        'host_name']


# The fleet of docs/why-didnt-it-fit.md: 48 GB with an SSD in az1 fits
# nowhere; web-1 lacks 8 GB, db-1 is in the other zone.
WHY_FLEET = [
    {'name': 'web-1', 'availability_zone': 'az1', 'vcpus': 16,
     'memory_mb': 40960, 'traits': ['CUSTOM_SSD']},
    {'name': 'web-2', 'availability_zone': 'az1', 'vcpus': 8,
     'memory_mb': 12288},
    {'name': 'db-1', 'availability_zone': 'az2', 'vcpus': 32,
     'memory_mb': 131072, 'traits': ['CUSTOM_SSD']},
]


def _why_fleet(srv):
    for host in WHY_FLEET:
        response = srv.request('POST', '/v1/hosts', as_='admin', json=dict(
            host, disk_gb=100, cpu_allocation_ratio=1.0,
            ram_allocation_ratio=1.0))
        assert response.status_code == 201, response.text


def _fill(driver, **fields):
    """Type each value into the what-if field of that id (``w-...``)."""
    from selenium.webdriver.support.select import Select

    for name, value in fields.items():
        field = driver.find_element('id', 'w-' + name)
        if field.tag_name == 'select':
            Select(field).select_by_visible_text(value)
        else:
            field.clear()
            field.send_keys(value)


def _rows(driver, selector):
    return [[td.text for td in row.find_elements('css selector', 'td')]
            for row in driver.find_elements('css selector',
                                            selector + ' tbody tr')]


def test_a_what_if_that_does_not_fit_shows_nearest_hosts_and_relaxations(
        start_server, chromium):
    srv = start_server()
    _why_fleet(srv)
    driver = chromium()
    _sign_in(driver, srv, 'member', 'whatif')
    _fill(driver, vcpus='8', memory='49152', zone='az1', traits='CUSTOM_SSD')
    driver.find_element('id', 'w-dry-run').click()
    _wait(driver, "return document.querySelectorAll('#relaxations tr')"
                  ".length")

    asked = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 8, 'memory_mb': 49152}, 'num_instances': 1,
        'availability_zone': 'az1', 'required_traits': ['CUSTOM_SSD'],
        'dry_run': True})
    # A dry run that does not fit is answered 200, without candidates.
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer['candidates'] == []
    assert _text(driver, '#view-whatif [data-error]') == ''
    nearest = _rows(driver, '#nearest')
    assert nearest == [
        [h['host_name'], ', '.join(h['failed_filters']),
         ', '.join('%s %d' % kv for kv in sorted(h['shortfall'].items()))
         or 'nothing (another filter)'] for h in answer['nearest']]
    assert ['web-1', 'RamFilter', 'MEMORY_MB 8192'] in nearest
    relaxations = _rows(driver, '#relaxations')
    assert relaxations == [[r['field'], str(r['to']), str(r['hosts'])]
                           for r in answer['relaxations']]
    assert ['resources.MEMORY_MB', '40960', '1'] in relaxations
    assert ['availability_zone', 'az2', '1'] in relaxations
    assert _text(driver, '#candidates') == 'No host can take the request.'
    assert [li.text for li in driver.find_elements(
        'css selector', '#funnel li')] == [
        '%s: %d → %d' % (s['filter'], s['hosts_in'], s['hosts_out'])
        for s in answer['explanation']]


def test_how_many_more_fit_shows_the_count_per_zone_and_the_quota(
        start_server, chromium):
    srv = start_server()
    _why_fleet(srv)
    project = srv.request('GET', '/v1/usages',
                          as_='member').json()['usage']['project_id']
    assert srv.request('PUT', '/v1/quotas/' + project, as_='admin', json={
        'limits': {'VCPU': 20}}).status_code == 200
    driver = chromium()
    _sign_in(driver, srv, 'member', 'whatif')
    driver.find_element('id', 'w-dry-run').click()
    _wait(driver, "return !document.getElementById('whatif-plan').hidden")
    _fill(driver, vcpus='4', memory='8192', group='web',
          policy='anti-affinity')
    driver.find_element('id', 'w-capacity').click()
    _wait(driver, "return !document.getElementById('capacity').hidden")

    found = srv.request('POST', '/v1/capacity', as_='member', json={
        'resources': {'vcpus': 4, 'memory_mb': 8192},
        'hints': {'group': 'web', 'group_policy': 'anti-affinity'}}).json()[
        'capacity']
    # One per host under anti-affinity, and the quota leaves room for 5.
    assert found['instances'] == 3 and found['quota_remaining'] == 5
    assert _text(driver, '#capacity-count') == '3'
    assert _text(driver, '#capacity-quota') == (
        'Your quota leaves room for 5 more.')
    assert _rows(driver, '#capacity-zones') == [
        [zone, str(n)] for zone, n in sorted(
            found['by_availability_zone'].items())]
    assert sorted(_rows(driver, '#capacity-limits')) == sorted(
        [name, str(n)] for name, n in found['limited_by'].items())
    assert not driver.find_element('id', 'view-whatif').find_element(
        'css selector', '[data-error]').text
    # The dry run shown before was of another request: gone. One of this
    # request sits beside the count.
    assert not driver.find_element('id', 'whatif-plan').is_displayed()
    driver.find_element('id', 'w-dry-run').click()
    _wait(driver, "return !document.getElementById('whatif-plan').hidden")
    assert driver.find_element('id', 'capacity').is_displayed()


def test_the_what_if_form_shows_an_api_error_as_its_detail(start_server,
                                                           chromium):
    srv = start_server()
    _why_fleet(srv)
    driver = chromium()
    _sign_in(driver, srv, 'member', 'whatif')
    slot = '#view-whatif [data-error]'

    _fill(driver, count='500')
    driver.find_element('id', 'w-dry-run').click()
    _wait(driver, "return document.querySelector('%s').textContent" % slot)
    refused = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 2, 'memory_mb': 2048}, 'num_instances': 500,
        'dry_run': True})
    assert refused.status_code == 400
    assert _text(driver, slot) == refused.json()['errors'][0]['detail']
    assert not driver.find_element('id', 'whatif-plan').is_displayed()

    # A group policy without a group: the capacity question is refused.
    _fill(driver, count='1', policy='affinity')
    driver.find_element('id', 'w-capacity').click()
    refused = srv.request('POST', '/v1/capacity', as_='member', json={
        'resources': {'vcpus': 2, 'memory_mb': 2048},
        'hints': {'group_policy': 'affinity'}})
    assert refused.status_code == 400
    detail = refused.json()['errors'][0]['detail']
    sora_server.wait_for(lambda: _text(driver, slot) == detail)
    assert not driver.find_element('id', 'capacity').is_displayed()


def test_groups_show_whether_their_policy_holds(start_server, chromium):
    srv = start_server({'scheduler': {'service_down_time': 1}})
    _register(srv, 3)
    web = {'group': 'web', 'group_policy': 'anti-affinity'}
    for hints in (web, web, {'group': 'db', 'group_policy': 'affinity'}):
        placed = srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}, 'hints': hints})
        assert placed.status_code == 201, placed.text
    # The anti-affine group's hosts beat once, then fall silent: down.
    web = srv.request('GET', '/v1/groups/web', as_='member').json()['group']
    for member in web['members']:
        assert srv.request('POST', '/v1/hosts/%s/heartbeat'
                           % member['host_id'], as_='admin').status_code == 204
    sora_server.wait_for(lambda: not srv.request(
        'GET', '/v1/groups/web', as_='member').json()['group']['policy_holds'])
    driver = chromium()
    _sign_in(driver, srv, 'member', 'groups')
    _wait(driver, "return document.querySelectorAll('#groups-table tbody tr')"
                  ".length === 2")

    for name in ('web', 'db'):
        group = srv.request('GET', '/v1/groups/' + name,
                            as_='member').json()['group']
        cells = [td.text for td in driver.find_elements(
            'css selector', '#groups-table tr[data-group=%s] td' % name)]
        assert cells[:2] == [name, group['policy']]
        assert cells[4] == str(len(group['members']))
        assert cells[7] == ('yes' if group['policy_holds'] else 'no')
        assert cells[8] == '; '.join(v['detail'] for v in group['violations'])
    assert _text(driver, '#groups-table tr[data-group=web] td:nth-child(8)') \
        == 'no'
    # At 1280 px the whole table shows: nothing scrolls sideways.
    scrolled, shown = driver.execute_script(
        "const region = document.getElementById('groups-table').parentNode;"
        "return [region.scrollWidth, region.clientWidth]")
    assert scrolled == shown


def test_a_reader_sees_the_403_of_an_admin_view(start_server, chromium):
    srv = start_server()
    expected = srv.request('GET', '/v1/hosts', as_='reader')
    assert expected.status_code == 403
    driver = chromium()
    _sign_in(driver, srv, 'reader', 'hosts')
    error = driver.find_element('css selector',
                                '#view-hosts [data-error]')
    assert error.text == expected.json()['errors'][0]['detail']


def test_a_member_sees_the_schedules_of_its_own_project(start_server,
                                                        chromium):
    srv = start_server()
    _register(srv, 2)
    for identity in ('member', 'other'):
        placed = srv.request('POST', '/v1/schedules', as_=identity,
                             json={'resources': {'vcpus': 1}})
        assert placed.status_code == 201, placed.text
    own = srv.request('GET', '/v1/schedules', as_='member').json()
    driver = chromium()
    # Every project's schedules are asked for first: the 403 of that
    # falls back to the member's own.
    _sign_in(driver, srv, 'member', 'schedules')
    assert _text(driver, '#schedules-summary') == (
        '1 schedules in your project.')
    assert _text(driver, '#view-schedules [data-error]') == ''
    assert _text(driver, '#schedules-table tbody td') == (
        own['schedules'][0]['id'][:8])


def test_a_wrong_token_is_refused_with_the_api_detail(start_server,
                                                      chromium):
    srv = start_server()
    driver = chromium()
    driver.get(srv.url + '/ui/')
    driver.find_element('id', 'token').send_keys('not-a-token')
    driver.find_element('css selector', '#login-form button').click()
    _wait(driver, "return document.getElementById('login-error')"
                  ".textContent")
    expected = srv.request('GET', '/v1/events', token='not-a-token')
    assert _text(driver, '#login-error') == (
        expected.json()['errors'][0]['detail'])


def test_the_views_are_reached_with_the_keyboard(start_server, chromium):
    from selenium.webdriver.common.keys import Keys

    srv = start_server()
    driver = chromium()
    driver.get(srv.url + '/ui/')
    active = driver.switch_to.active_element
    assert active.get_attribute('id') == 'token'
    active.send_keys(srv.tokens['admin'], Keys.ENTER)
    _wait(driver, "return document.body.dataset.loaded === 'true'")
    # From the top of the page, Tab reaches the views' links in order.
    driver.find_element('css selector', 'h1').click()
    seen = []
    for _ in range(7):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        seen.append(driver.switch_to.active_element.text)
    assert seen == ['Fleet', 'Hosts', 'Schedules', 'Quotas', 'Groups',
                    'What if', 'Events']
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    _wait(driver, "return !document.getElementById('view-events').hidden")
    assert not driver.find_element('id', 'view-fleet').is_displayed()


def test_a_phone_sized_viewport_has_no_sideways_scrolling(start_server,
                                                         chromium):
    srv = start_server()
    _register(srv, 30)
    driver = chromium(390, 844)
    _sign_in(driver, srv, 'admin')
    for view in ('fleet', 'hosts', 'whatif'):
        driver.get(srv.url + '/ui/#' + view)
        _wait(driver, "return document.body.dataset.loaded === 'true'")
        assert driver.execute_script(
            'return document.documentElement.scrollWidth '
            '<= window.innerWidth'), view
    # A dry run that does not fit and the capacity question: their tables
    # fit too.
    _fill(driver, memory='100000')
    driver.find_element('id', 'w-dry-run').click()
    _wait(driver, "return document.querySelectorAll('#nearest tr').length")
    fits = 'return document.documentElement.scrollWidth <= window.innerWidth'
    assert driver.execute_script(fits)
    _fill(driver, memory='2048')
    driver.find_element('id', 'w-capacity').click()
    _wait(driver, "return !document.getElementById('capacity').hidden")
    assert driver.execute_script(fits)


def test_the_first_view_against_10k_hosts_loads_in_the_browser(
        start_server, chromium):
    srv = start_server()
    _register(srv, 10000)
    driver = chromium()
    # Signed in already (the page's origin holds the token): what is timed
    # is loading the data and drawing the first view.
    driver.get(srv.url + '/healthcheck')
    driver.execute_script("sessionStorage.setItem('sora.token', "
                          "arguments[0])", srv.tokens['admin'])
    started = time.monotonic()
    driver.get(srv.url + '/ui/#fleet')
    _wait(driver, "return document.body.dataset.loaded === 'true'", 120)
    waited = time.monotonic() - started
    assert _text(driver, '#count-hosts') == '10000'
    in_page = int(driver.execute_script(
        'return document.body.dataset.loadedMs'))
    data = int(driver.execute_script('return document.body.dataset.dataMs'))
    # Reported, never asserted: the machine decides the number.
    print('\ndashboard first view, 10000 hosts: %d ms from navigation '
          '(data loaded at %d ms; %.2f s seen by the test; load average '
          '%.1f)' % (in_page, data, waited, os.getloadavg()[0]))


@pytest.mark.skipif(os.environ.get('SORA_SCREENSHOTS') != '1',
                    reason='SORA_SCREENSHOTS=1 rewrites docs/dashboard-*.png')
def test_screenshots_of_each_view(start_server, chromium):
    srv = start_server()
    _register(srv, 60, zones=('az-1', 'az-2', 'az-3'))
    listed = srv.request('GET', '/v1/hosts?limit=5', as_='admin').json()
    srv.request('PUT', '/v1/hosts/%s' % listed['hosts'][0]['id'],
                as_='admin', json={'enabled': False,
                                   'disabled_reason': 'maintenance'})
    for size, project in ((6, 'member'), (3, 'other'), (12, 'member')):
        srv.request('POST', '/v1/schedules', as_=project, json={
            'resources': {'vcpus': 4, 'memory_mb': 8192, 'disk_gb': 40},
            'num_instances': size})
    for hints in ({'group': 'web', 'group_policy': 'anti-affinity',
                   'group_topology_key': 'availability_zone'},
                  {'group': 'cache', 'group_policy': 'soft-affinity'}):
        srv.request('POST', '/v1/schedules', as_='admin', json={
            'resources': {'vcpus': 2, 'memory_mb': 4096}, 'num_instances': 3,
            'hints': hints})
    driver = chromium(1280, 800)
    _sign_in(driver, srv, 'admin')
    for view in ('fleet', 'hosts', 'schedules', 'quotas', 'groups',
                 'whatif', 'events'):
        driver.get(srv.url + '/ui/#' + view)
        _wait(driver, "return document.body.dataset.loaded === 'true'")
        if view == 'whatif':
            # More memory than any host has left: the nearest hosts and
            # what would make it fit.
            _fill(driver, vcpus='8', memory='100000', zone='az-1')
            driver.find_element('id', 'w-dry-run').click()
            _wait(driver, "return document.querySelectorAll("
                          "'#relaxations tr').length")
        time.sleep(0.5)  # let the last chart paint before the picture
        driver.save_screenshot(os.path.join(
            ROOT, 'docs', 'dashboard-%s.png' % view))
        if view == 'whatif':
            _fill(driver, vcpus='4', memory='8192', zone='')
            driver.find_element('id', 'w-capacity').click()
            _wait(driver, "return !document.getElementById('capacity')"
                          ".hidden")
            driver.execute_script("document.getElementById('capacity')"
                                  ".scrollIntoView()")
            time.sleep(0.5)
            driver.save_screenshot(os.path.join(
                ROOT, 'docs', 'dashboard-capacity.png'))
