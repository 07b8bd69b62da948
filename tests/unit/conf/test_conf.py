"""Options: defaults of the contract, and the generated sample file."""

import os
import subprocess
import sys

from oslo_config import cfg
import pytest

from sora_api import conf as sora_conf
from sora_api.conf import opts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


def test_contract_defaults(conf):
    assert conf.api.bind_host == '127.0.0.1'
    assert conf.api.bind_port == 8770
    assert conf.api.workers == 1
    assert conf.api.auth_strategy == 'token'
    assert conf.api.max_request_body_size == 1024 * 1024
    assert conf.api.max_limit == 1000
    assert conf.api.api_paste_config == 'api-paste.ini'
    assert conf.database.connection is None
    assert conf.scheduler.driver == 'filter_scheduler'
    assert conf.scheduler.default_availability_zone == 'nova'
    assert conf.scheduler.service_down_time == 60
    assert conf.scheduler.max_instances_per_request == 100
    assert conf.scheduler.cpu_allocation_ratio == 16.0
    assert conf.scheduler.ram_allocation_ratio == 1.5
    assert conf.scheduler.disk_allocation_ratio == 1.0
    fs = conf.filter_scheduler
    assert fs.host_subset_size == 1
    assert fs.shuffle_best_same_weighed_hosts is False
    assert (fs.ram_weight_multiplier, fs.cpu_weight_multiplier,
            fs.disk_weight_multiplier, fs.io_ops_weight_multiplier,
            fs.num_instances_weight_multiplier,
            fs.soft_affinity_weight_multiplier,
            fs.soft_anti_affinity_weight_multiplier) == (
        1.0, 1.0, 1.0, -1.0, 0.0, 1.0, 1.0)
    # The 16 filters and 7 weighers of v1, issue 9's ResourcesFilter
    # (right after DiskFilter) and ResourceClassWeigher, then issue 12's
    # in the order the contract names them (TopologySpreadFilter runs
    # after every other filter wherever it is listed).
    assert len(fs.enabled_filters) == 20
    assert fs.enabled_filters[5] == 'ResourcesFilter'
    assert fs.enabled_filters[-3:] == ['TaintTolerationFilter',
                                       'ProjectIsolationFilter',
                                       'TopologySpreadFilter']
    assert len(fs.weighers) == 11
    assert fs.weighers[-3:] == ['TaintTolerationWeigher', 'PreferenceWeigher',
                                'TopologySpreadWeigher']
    assert fs.resource_class_weight_multipliers == {}
    assert fs.taint_toleration_weight_multiplier == 2.0
    assert fs.preference_weight_multiplier == 2.0
    assert fs.topology_spread_weight_multiplier == 2.0


def test_a_config_file_overrides_defaults(tmp_path):
    path = tmp_path / 'sora.conf'
    path.write_text('[api]\nworkers = 3\n[scheduler]\ndriver = chance\n')
    conf = sora_conf.new_config(['--config-file', str(path)],
                                default_config_files=[])
    assert conf.api.workers == 3
    assert conf.scheduler.driver == 'chance'


def test_a_written_config_file_reads_back_as_written(tmp_path):
    path = str(tmp_path / 'sora.conf')
    url = 'postgresql://sora:p%40ss@127.0.0.1/sora'
    sora_conf.write_config_file(path, {
        'DEFAULT': {'state_path': str(tmp_path)},
        'api': {'workers': '3'}, 'database': {'connection': url}})
    conf = sora_conf.new_config(['--config-file', path],
                                default_config_files=[])
    assert conf.state_path == str(tmp_path)
    assert conf.api.workers == 3
    assert conf.database.connection == url


def test_an_unknown_auth_strategy_is_refused(tmp_path):
    path = tmp_path / 'sora.conf'
    path.write_text('[api]\nauth_strategy = magic\n')
    conf = sora_conf.new_config(['--config-file', str(path)],
                                default_config_files=[])
    with pytest.raises(cfg.ConfigFileValueError):
        _ = conf.api.auth_strategy


def test_every_option_is_listed_for_the_generator_with_help():
    listed = {group: opts_ for group, opts_ in opts.list_opts()}
    assert set(listed) == {'DEFAULT', 'api', 'database', 'events',
                           'scheduler', 'filter_scheduler', 'quota'}
    for group_opts in listed.values():
        for opt in group_opts:
            assert opt.help and opt.help.strip(), opt.name


def test_the_shipped_sample_config_is_up_to_date(tmp_path):
    generated = tmp_path / 'sora.conf.sample'
    generator = os.path.join(os.path.dirname(sys.executable),
                             'oslo-config-generator')
    subprocess.run([generator, '--config-file',
                    os.path.join(ROOT, 'etc', 'sora-config-generator.conf'),
                    '--output-file', str(generated)], check=True, cwd=ROOT)
    with open(os.path.join(ROOT, 'etc', 'sora.conf.sample')) as f:
        shipped = f.read()
    assert generated.read_text() == shipped, (
        'etc/sora.conf.sample is stale: run oslo-config-generator '
        '--config-file etc/sora-config-generator.conf')
