"""Packaging of Sora API."""

import os

import setuptools

HERE = os.path.dirname(os.path.abspath(__file__))


def _requirements():
    with open(os.path.join(HERE, 'requirements.txt')) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


FILTERS = [
    'AvailabilityZoneFilter = sora_api.scheduler.filters.availability_zone:AvailabilityZoneFilter',
    'ComputeFilter = sora_api.scheduler.filters.compute:ComputeFilter',
    'RamFilter = sora_api.scheduler.filters.resources:RamFilter',
    'CoreFilter = sora_api.scheduler.filters.resources:CoreFilter',
    'DiskFilter = sora_api.scheduler.filters.resources:DiskFilter',
    'ResourcesFilter = sora_api.scheduler.filters.resources:ResourcesFilter',
    'TraitsFilter = sora_api.scheduler.filters.traits:TraitsFilter',
    'MetadataFilter = sora_api.scheduler.filters.metadata:MetadataFilter',
    'SameHostFilter = sora_api.scheduler.filters.affinity:SameHostFilter',
    'DifferentHostFilter = sora_api.scheduler.filters.affinity:DifferentHostFilter',
    'ServerGroupAffinityFilter = sora_api.scheduler.filters.server_group:ServerGroupAffinityFilter',
    'ServerGroupAntiAffinityFilter = sora_api.scheduler.filters.server_group:ServerGroupAntiAffinityFilter',
    'JsonFilter = sora_api.scheduler.filters.json_filter:JsonFilter',
    'IgnoreHostsFilter = sora_api.scheduler.filters.host_names:IgnoreHostsFilter',
    'ForceHostsFilter = sora_api.scheduler.filters.host_names:ForceHostsFilter',
    'NumInstancesFilter = sora_api.scheduler.filters.num_instances:NumInstancesFilter',
    'IoOpsFilter = sora_api.scheduler.filters.io_ops:IoOpsFilter',
    'TaintTolerationFilter = sora_api.scheduler.filters.taint_toleration:TaintTolerationFilter',
    'ProjectIsolationFilter = sora_api.scheduler.filters.project_isolation:ProjectIsolationFilter',
    'TopologySpreadFilter = sora_api.scheduler.filters.topology_spread:TopologySpreadFilter',
]

WEIGHERS = [
    'RAMWeigher = sora_api.scheduler.weighers.resources:RAMWeigher',
    'CPUWeigher = sora_api.scheduler.weighers.resources:CPUWeigher',
    'DiskWeigher = sora_api.scheduler.weighers.resources:DiskWeigher',
    'IoOpsWeigher = sora_api.scheduler.weighers.io_ops:IoOpsWeigher',
    'NumInstancesWeigher = sora_api.scheduler.weighers.num_instances:NumInstancesWeigher',
    'ServerGroupSoftAffinityWeigher = sora_api.scheduler.weighers.server_group:ServerGroupSoftAffinityWeigher',
    'ServerGroupSoftAntiAffinityWeigher = sora_api.scheduler.weighers.server_group:ServerGroupSoftAntiAffinityWeigher',
    'ResourceClassWeigher = sora_api.scheduler.weighers.resource_class:ResourceClassWeigher',
    'TaintTolerationWeigher = sora_api.scheduler.weighers.taint_toleration:TaintTolerationWeigher',
    'PreferenceWeigher = sora_api.scheduler.weighers.preference:PreferenceWeigher',
    'TopologySpreadWeigher = sora_api.scheduler.weighers.topology_spread:TopologySpreadWeigher',
]

DRIVERS = [
    'filter_scheduler = sora_api.scheduler.drivers.filter_scheduler:FilterScheduler',
    'chance = sora_api.scheduler.drivers.chance:ChanceScheduler',
    'memory = sora_api.scheduler.drivers.memory:MemoryScheduler',
]

setuptools.setup(
    name='sora-api',
    description='A filter-and-weigh scheduling service with a REST API',
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    packages=setuptools.find_packages(
        exclude=['tests', 'tests.*', 'benchmarks', 'benchmarks.*']),
    include_package_data=True,
    package_data={'sora_api': ['etc/*', 'db/migrations/*.mako', 'ui/*']},
    # NOTE: sora_api/etc is a symlink git tracks as a file; setuptools-scm
    # lists it, and as package data it would be a directory to copy.
    exclude_package_data={'sora_api': ['etc']},
    install_requires=_requirements(),
    extras_require={'keystone': ['keystonemiddleware>=10.0.0']},
    entry_points={
        'console_scripts': [
            'sora-api = sora_api.cmd.api:main',
            'sora-manage = sora_api.cmd.manage:main',
            'sora = sora_api.client.shell:main',
        ],
        'oslo.config.opts': ['sora = sora_api.conf.opts:list_opts'],
        'oslo.policy.enforcer': ['sora = sora_api.policies:get_enforcer'],
        'oslo.policy.policies': ['sora = sora_api.policies:list_rules'],
        'sora.scheduler.drivers': DRIVERS,
        'sora.scheduler.filters': FILTERS,
        'sora.scheduler.weighers': WEIGHERS,
    },
)
