"""Storage faults under a real server: disk full, read-only, file deleted.

Issue 10, item 5: each fault is a 503 ``sora.service_unavailable`` (never a
500, never a write acknowledged and lost) and ``/healthcheck`` says 503;
once the cause is fixed the same server heals, without a restart. The
faults are real: a small tmpfs filled to the last byte, a read-only bind
mount, ``chattr +i``, an ``rm`` of the database file. They need root (to
mount) and run on SQLite only, whose file Sora opens itself.
"""

import contextlib
import os
import shutil
import sqlite3
import subprocess
import uuid

import pytest

from tests.functional import server as sora_server
from tests.functional.server import assert_error
from tests.functional.server import wait_for


def _can_mount():
    if os.geteuid() != 0 or not shutil.which('mount'):
        return False
    probe = '/tmp/sora-mount-probe-%s' % uuid.uuid4().hex
    os.makedirs(probe)
    try:
        if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs',
                           probe], capture_output=True).returncode != 0:
            return False
        subprocess.run(['umount', probe], check=True)
        return True
    finally:
        os.rmdir(probe)


pytestmark = [
    pytest.mark.skipif(bool(sora_server.server_database_url()),
                       reason='SQLite file faults; PostgreSQL has its own '
                              'outage tests in test_faults.py'),
    pytest.mark.skipif(not _can_mount(),
                       reason='needs root and mount(8) to make real faults '
                              '(a small tmpfs, a read-only bind mount)'),
]


def run(*command):
    subprocess.run(command, check=True, capture_output=True)


@contextlib.contextmanager
def mounted(path, *command):
    os.makedirs(path, exist_ok=True)
    run('mount', *command, path)
    try:
        yield path
    finally:
        subprocess.run(['umount', '-l', path], capture_output=True)


def host_body(name=None, **fields):
    body = {'name': name or 'h-%s' % uuid.uuid4().hex[:12], 'vcpus': 8,
            'memory_mb': 8192, 'disk_gb': 100}
    body.update(fields)
    return body


def health(srv):
    return srv.request('GET', '/healthcheck')


def host_names(srv):
    response = srv.request('GET', '/v1/hosts', as_='admin')
    assert response.status_code == 200, response.text
    return {h['name'] for h in response.json()['hosts']}


def fill(directory):
    """Write a file until the filesystem has no byte left."""
    chunk = b'\0' * 65536
    with open(os.path.join(directory, 'filler'), 'wb',
              buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError:
                break
        while True:
            try:
                f.write(b'\0')
            except OSError:
                break


def test_a_full_disk_is_503_and_heals_when_space_returns(tmp_path):
    with mounted(str(tmp_path / 'disk'), '-t', 'tmpfs', '-o', 'size=8m',
                 'tmpfs') as disk:
        srv = sora_server.SoraServer(tmp_path / 'srv', {
            'DEFAULT': {'state_path': os.path.join(disk, 'state')}})
        try:
            srv.start()
            before = srv.request('POST', '/v1/hosts', as_='admin',
                                 json=host_body())
            assert before.status_code == 201, before.text
            fill(disk)
            assert_error(health(srv), 503, 'sora.service_unavailable')
            # Hosts with 256 metadata entries of 500 bytes each need new
            # pages: a write soon needs space that is not there.
            metadata = {'k%03d-%s' % (n, 'k' * 200): 'v' * 250
                        for n in range(256)}
            refused = []
            for _ in range(50):
                body = host_body(metadata=metadata)
                response = srv.request('POST', '/v1/hosts', as_='admin',
                                       json=body)
                assert response.status_code in (201, 503), response.text
                if response.status_code == 503:
                    assert_error(response, 503, 'sora.service_unavailable')
                    refused.append(body['name'])
                    break
            assert refused, 'every write fitted on a full disk'
            # Reads still work meanwhile.
            assert before.json()['host']['name'] in host_names(srv)
            os.unlink(os.path.join(disk, 'filler'))
            wait_for(lambda: health(srv).status_code == 200)
            again = srv.request('POST', '/v1/hosts', as_='admin',
                                json=host_body(metadata=metadata))
            assert again.status_code == 201, again.text
            names = host_names(srv)
            assert again.json()['host']['name'] in names
            assert refused[0] not in names
        finally:
            srv.cleanup()


def _read_only_by_bind_mount(state, mountpoint):
    run('mount', '--bind', state, mountpoint)
    run('mount', '-o', 'remount,bind,ro', mountpoint)

    def undo():
        run('mount', '-o', 'remount,bind,rw', mountpoint)
    return undo


def _read_only_by_chattr(state, mountpoint):
    # Only the file: SQLite opens it read-only and keeps working beside
    # it (-wal, -shm), the case where pooled connections stayed read-only.
    run('mount', '--bind', state, mountpoint)
    path = os.path.join(mountpoint, 'sora.sqlite')
    run('chattr', '+i', path)

    def undo():
        run('chattr', '-i', path)
    return undo


@pytest.mark.parametrize('make_read_only', [_read_only_by_bind_mount,
                                            _read_only_by_chattr],
                         ids=['read-only bind mount', 'chattr +i'])
def test_a_read_only_database_is_503_and_heals_without_a_restart(
        tmp_path, make_read_only):
    state = str(tmp_path / 'state')
    mountpoint = str(tmp_path / 'mnt')
    os.makedirs(state)
    os.makedirs(mountpoint)
    srv = sora_server.SoraServer(tmp_path / 'srv', {
        'DEFAULT': {'state_path': mountpoint}})
    undo = None
    try:
        run('mount', '--bind', state, mountpoint)
        srv.start()
        kept = srv.request('POST', '/v1/hosts', as_='admin', json=host_body())
        assert kept.status_code == 201, kept.text
        assert srv.stop() == 0
        run('umount', mountpoint)
        # The operator's mistake: the database is read-only when the
        # server starts, so every connection it opens is read-only.
        undo = make_read_only(state, mountpoint)
        srv.start(healthy=False)
        wait_for(lambda: health(srv).status_code == 503)
        assert_error(health(srv), 503, 'sora.service_unavailable')
        for _ in range(3):
            response = srv.request('POST', '/v1/hosts', as_='admin',
                                   json=host_body())
            assert_error(response, 503, 'sora.service_unavailable')
        # Fixed, and the same server heals: its read-only connections
        # are discarded, not kept in the pool.
        undo()
        undo = None
        wait_for(lambda: health(srv).status_code == 200)
        healed = srv.request('POST', '/v1/hosts', as_='admin',
                             json=host_body())
        assert healed.status_code == 201, healed.text
        assert {kept.json()['host']['name'],
                healed.json()['host']['name']} <= host_names(srv)
    finally:
        if undo:
            undo()
        srv.cleanup()
        subprocess.run(['umount', '-l', mountpoint], capture_output=True)


def test_a_deleted_database_file_is_503_never_written_into(tmp_path):
    srv = sora_server.SoraServer(tmp_path / 'srv')
    try:
        srv.start()
        database = os.path.join(srv.workdir, 'sora.sqlite')
        first = srv.request('POST', '/v1/hosts', as_='admin',
                            json=host_body())
        assert first.status_code == 201, first.text
        os.unlink(database)
        response = srv.request('POST', '/v1/hosts', as_='admin',
                               json=host_body())
        assert_error(response, 503, 'sora.service_unavailable')
        assert_error(health(srv), 503, 'sora.service_unavailable')
        assert not os.path.exists(database), 'an empty database was made'
    finally:
        srv.cleanup()


def test_a_replaced_database_file_is_the_one_used(tmp_path):
    """Restoring a backup under a running server: its rows, not the old
    file's, are what the server reads and writes from then on."""
    srv = sora_server.SoraServer(tmp_path / 'srv')
    try:
        srv.start()
        database = os.path.join(srv.workdir, 'sora.sqlite')
        backed_up = srv.request('POST', '/v1/hosts', as_='admin',
                                json=host_body())
        assert backed_up.status_code == 201, backed_up.text
        backup = os.path.join(srv.workdir, 'backup.sqlite')
        with contextlib.closing(sqlite3.connect(database)) as source, \
                contextlib.closing(sqlite3.connect(backup)) as target:
            source.backup(target)
        lost = srv.request('POST', '/v1/hosts', as_='admin',
                           json=host_body())
        assert lost.status_code == 201, lost.text
        for suffix in ('', '-wal', '-shm'):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(database + suffix)
        os.replace(backup, database)
        assert health(srv).status_code == 200
        names = host_names(srv)
        assert backed_up.json()['host']['name'] in names
        assert lost.json()['host']['name'] not in names
        written = srv.request('POST', '/v1/hosts', as_='admin',
                              json=host_body())
        assert written.status_code == 201, written.text
        with contextlib.closing(sqlite3.connect(database)) as conn:
            stored = {name for (name,) in conn.execute(
                'SELECT name FROM hosts')}
        assert written.json()['host']['name'] in stored
    finally:
        srv.cleanup()
