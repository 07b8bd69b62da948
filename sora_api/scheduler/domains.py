"""Failure domains over a ``HostTable``, as arrays.

A topology key (``topology.py``) splits the hosts into domains; here every
row gets a domain code, computed once per key and kept with the table's
masks until a host's attributes change, and a group's members are counted
per domain with one ``bincount``: no Python loop over hosts.
"""

import numpy as np

from sora_api import topology

# The code of a row without the key's metadata (no domain).
NONE = -1


def codes(table, key):
    """``(codes, count)``: each row's domain code (``NONE``: no domain)
    and how many domains there are."""
    if key == topology.HOST:
        return table.all_rows(), len(table)
    if key == topology.ZONE:
        # The keys JsonFilter caches these columns under: computed once.
        found, distinct, _ = table.factorized(('zones',),
                                              lambda: table.zones)
        return found, len(distinct)
    name = topology.metadata_key(key)
    found, distinct, index = table.factorized(
        ('metadata', name),
        lambda: (m.get(name) for m in table.metadata))
    if None not in index:
        return found, len(distinct)
    # NOTE: kept like the codes: a request of a group spread over racks
    # would otherwise pass over every row for it.
    return table.derived(('domains', name), lambda: np.where(
        found == index[None], NONE, found)), len(distinct)


def member_counts(table, key, group_hosts):
    """``(row_codes, per_domain)``: each row's domain code and how many of
    ``group_hosts`` (host id -> members there) each domain holds.

    Members on hosts the table does not know, or without a domain, count
    nowhere.
    """
    row_codes, count = codes(table, key)
    per_domain = np.zeros(count + 1, dtype=np.int64)
    if group_hosts:
        rows = table.rows_of(group_hosts)
        weights = np.array([group_hosts[table.ids[r]] for r in rows],
                           dtype=np.int64)
        where = row_codes[rows]
        # Index ``count`` collects the members without a domain.
        where = np.where(where == NONE, count, where)
        per_domain += np.bincount(where, weights=weights,
                                  minlength=count + 1).astype(np.int64)
    return row_codes, per_domain[:count]


def per_row(row_codes, per_domain):
    """What ``per_domain`` holds for each row's domain (0 without one)."""
    # One gather: ``NONE`` (-1) picks the 0 appended last.
    return np.append(np.asarray(per_domain, dtype=np.int64), 0)[row_codes]
