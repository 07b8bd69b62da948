"""Failure domains: what a topology key means, and whether a group's policy
holds over the hosts its members run on now.

Free of HTTP, SQL and numpy: the scheduler (``scheduler/domains.py``), the
groups API and the metrics read the same rules here.
"""

import collections
import dataclasses

HOST = 'host'
ZONE = 'availability_zone'
METADATA_PREFIX = 'metadata.'
DEFAULT_KEY = HOST
HARD_POLICIES = frozenset(['affinity', 'anti-affinity'])


def metadata_key(key):
    """The metadata key a topology key names, or None for host and zone."""
    if key.startswith(METADATA_PREFIX):
        return key[len(METADATA_PREFIX):]
    return None


def domain_of(key, host_name, zone, metadata):
    """A host's domain under ``key``; None when it lacks the metadata key.

    The domain of ``host`` is the host's name, as a person reads it.
    """
    if key == HOST:
        return host_name
    if key == ZONE:
        return zone
    return metadata.get(metadata_key(key))


def group_policy(hints):
    """``(policy, topology_key, max_per_domain)`` a request's hints give
    its group, defaults made explicit: what the group's first live
    schedule fixes. Without a policy, key and maximum are None; the
    maximum is None for every policy but anti-affinity.
    """
    policy = hints.get('group_policy')
    if policy is None:
        return None, None, None
    key = hints.get('group_topology_key', DEFAULT_KEY)
    limit = (hints.get('max_per_domain', 1) if policy == 'anti-affinity'
             else None)
    return policy, key, limit


@dataclasses.dataclass
class Member:
    """One live instance of a group, on a host as that host is now."""

    schedule_id: str
    instance_index: int
    host_id: str
    host_name: str
    availability_zone: str
    metadata: dict
    up: bool


@dataclasses.dataclass
class Health:
    """Where a group's members are and whether its hard policy holds."""

    domains: dict
    largest_domain_share: int
    violations: list

    @property
    def policy_holds(self):
        return not self.violations


def health(policy, key, max_per_domain, members):
    """The ``Health`` of a group with these members.

    Violations: a member on a host that is down; under a hard policy, a
    member whose host lacks the key's metadata, more than
    ``max_per_domain`` members in one domain (anti-affinity), members in
    more than one domain (affinity). Soft policies never break.
    """
    key = key or DEFAULT_KEY
    domains = collections.Counter()
    violations = []
    for m in members:
        domain = domain_of(key, m.host_name, m.availability_zone, m.metadata)
        if domain is not None:
            domains[domain] += 1
        elif policy in HARD_POLICIES:
            violations.append(_member_violation(
                'host_without_domain', m,
                f'host {m.host_name} has no metadata key '
                f'{metadata_key(key)}'))
        if not m.up:
            violations.append(_member_violation(
                'host_down', m, f'host {m.host_name} is down'))
    if policy == 'anti-affinity':
        limit = max_per_domain or 1
        for domain, count in sorted(domains.items()):
            if count > limit:
                violations.append({
                    'reason': 'too_many_in_domain', 'domain': domain,
                    'members': count, 'max_per_domain': limit,
                    'detail': f'{count} members in {key} {domain}, at most '
                              f'{limit} allowed'})
    elif policy == 'affinity' and len(domains) > 1:
        violations.append({
            'reason': 'split_across_domains', 'domains': sorted(domains),
            'detail': f'members in {len(domains)} values of {key}, '
                      f'affinity wants one'})
    return Health(domains=dict(sorted(domains.items())),
                  largest_domain_share=max(domains.values(), default=0),
                  violations=violations)


def _member_violation(reason, member, detail):
    return {'reason': reason, 'schedule_id': member.schedule_id,
            'instance_index': member.instance_index,
            'host_id': member.host_id, 'host_name': member.host_name,
            'detail': detail}
