"""LastAnswers: answers kept between requests are those of a full pass."""

import random

import numpy as np

from sora_api.scheduler import filters
from sora_api.scheduler import host_table
from sora_api.scheduler import plugins


def _row(table, i, **changes):
    """Row ``i`` of ``table`` as ``update`` takes it, with ``changes``."""
    row = host_table._state_values(table.host_state(i))
    row.update(changes)
    return row


def test_kept_answers_are_those_of_a_full_pass_on_random_fleets(
        conf, make_host, make_spec):
    rng = random.Random(16)
    conf.set_override('max_instances_per_host', 6, group='filter_scheduler')

    def host(index):
        return make_host(
            f'h{index}', availability_zone=rng.choice(['az1', 'az2']),
            vcpus=rng.choice([2, 4, 8]), memory_mb=rng.choice([1024, 4096]),
            traits=rng.choice([[], ['SSD']]),
            taints=rng.choice([[], [{'key': 'gpu', 'effect': 'NoSchedule'}]]),
            projects=rng.choice([[], [], ['project-b']]),
            enabled=rng.random() < 0.9, io_ops=rng.choice([0, 0, 8]))

    table = host_table.as_table([host(i) for i in range(120)])
    chain = plugins.load_filters(conf)
    last = filters.LastAnswers()
    specs = [make_spec(), make_spec(), make_spec(vcpus=3),
             make_spec(availability_zone='az2'),
             make_spec(required_traits={'SSD'}, project_id='project-b'),
             make_spec(tolerations=[{'key': 'gpu', 'operator': 'Exists'}]),
             make_spec(memory_mb=5000),
             make_spec(group_policy='anti-affinity', group='g',
                       group_hosts={'id-h1': 1})]
    up = table.up
    spec = specs[0]
    for step in range(300):
        change = rng.random()
        rows = rng.sample(range(len(table)), rng.choice([1, 2, 5]))
        if change < 0.5:
            table.update([_row(table, i, vcpus_used=rng.randint(0, 8),
                               instances=rng.randint(0, 7),
                               enabled=rng.random() < 0.9) for i in rows])
        elif change < 0.6:
            table.take_in_place({i: 1 for i in rows}, make_spec(), sign=1)
        elif change < 0.75:
            up = up.copy()
            up[rows] = ~up[rows]
        elif change < 0.8:
            table.update([_row(table, i, traits=rng.choice([[], ['SSD']]))
                          for i in rows])
        elif change < 0.85:
            table.update([_row(host_table.as_table([host(len(table))]), 0)])
            up = np.concatenate([up, [True]])
        view = table.with_own_usage()
        view.up = up
        if rng.random() < 0.15:
            spec = rng.choice(specs)
        kept = filters.filter_table(chain, view, spec, last)
        full = filters.filter_table(chain, view, spec)
        assert kept[0].tolist() == full[0].tolist(), step
        assert kept[1] == full[1], step


def test_a_pass_keeping_every_host_gives_the_kept_rows(conf, make_host,
                                                       make_spec):
    table = host_table.as_table([make_host() for _ in range(5)])
    last = filters.LastAnswers()
    chain = plugins.load_filters(conf)
    first = filters.filter_table(chain, table, make_spec(), last)[0]
    second = filters.filter_table(chain, table, make_spec(), last)[0]
    assert first is second
    assert first.tolist() == [0, 1, 2, 3, 4]
    assert not first.flags.writeable


def test_the_survivors_are_kept_while_no_host_comes_in_or_leaves(
        conf, make_host, make_spec):
    # A request some hosts cannot take (as a GPU request on a fleet where
    # a quarter of the hosts have GPUs): its survivors are found once and
    # kept, read-only, until a changed host passes where it failed or
    # fails where it passed.
    table = host_table.as_table([make_host(vcpus=8 if i % 4 else 2)
                                 for i in range(12)])
    table.update([_row(table, 5, vcpus_used=8)])
    last = filters.LastAnswers()
    chain = plugins.load_filters(conf)
    spec = make_spec(vcpus=4)
    answers = [filters.filter_table(chain, table, spec, last)[0]]
    assert not answers[0].flags.writeable
    for changes in ([(1, 2)], [(2, 8)], [(5, 0)], [(3, 1), (6, 4)]):
        table.update([_row(table, i, vcpus_used=used)
                      for i, used in changes])
        answers.append(filters.filter_table(chain, table, spec, last)[0])
        full = filters.filter_table(chain, table, spec)[0]
        assert answers[-1].tolist() == full.tolist(), changes
    # Host 1 kept its room, host 2 filled up, host 5 got room, host 3
    # and 6 kept theirs.
    assert answers[1] is answers[0]
    assert answers[2] is not answers[1] and 2 not in answers[2].tolist()
    assert answers[3] is not answers[2] and 5 in answers[3].tolist()
    assert answers[4] is answers[3]


def test_the_kept_rows_outlive_the_request_s_view(conf, make_host,
                                                  make_spec):
    table = host_table.as_table([make_host() for _ in range(3)])
    last = filters.LastAnswers()
    chain = plugins.load_filters(conf)
    first = filters.filter_table(chain, table.with_own_usage(), make_spec(),
                                 last)[0]
    second = filters.filter_table(chain, table.with_own_usage(), make_spec(),
                                  last)[0]
    assert first is second


def test_projects_without_dedicated_hosts_share_the_kept_answers(
        conf, make_host, make_spec, monkeypatch):
    table = host_table.as_table([make_host() for _ in range(4)]
                                + [make_host(projects=['project-b'])])
    last = filters.LastAnswers()
    chain = plugins.load_filters(conf)
    asked = []
    original = filters.LastAnswers._full

    def full(self, *args):
        asked.append(args[1].project_id)
        return original(self, *args)

    monkeypatch.setattr(filters.LastAnswers, '_full', full)
    answers = [filters.filter_table(chain, table, make_spec(project_id=p),
                                    last)
               for p in ('project-a', 'project-c', 'project-b', 'project-d')]
    # project-c's answers are project-a's; project-b has a host of its
    # own; project-d's are project-a's again, still kept beside b's.
    assert asked == ['project-a', 'project-b']
    assert [rows.tolist() for rows, _ in answers] == [
        [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3, 4], [0, 1, 2, 3]]


def test_kinds_of_request_taking_turns_each_keep_their_answers(
        conf, make_host, make_spec, monkeypatch):
    """A mix of requests (plain, asking for a trait, for a zone, ...) keeps
    one set of answers per kind, each patched to a full pass's answers,
    including after more changes than the table remembers."""
    rng = random.Random(9)
    table = host_table.as_table([
        make_host(f'h{i}', availability_zone=rng.choice(['az1', 'az2']),
                  traits=rng.choice([[], ['SSD']]),
                  vcpus=rng.choice([2, 8])) for i in range(60)])
    chain = plugins.load_filters(conf)
    last = filters.LastAnswers()
    kinds = [make_spec(), make_spec(required_traits={'SSD'}),
             make_spec(availability_zone='az2'), make_spec(vcpus=4)]
    fulls = []
    original = filters.LastAnswers._full

    def full(self, *args):
        fulls.append(args[1])
        return original(self, *args)

    monkeypatch.setattr(filters.LastAnswers, '_full', full)
    for step in range(200):
        # Now and then more changes than the log keeps between two turns.
        changes = table.changes.KEEP + 1 if step % 50 == 49 else 2
        for _ in range(changes):
            i = rng.randrange(len(table))
            table.update([_row(table, i, vcpus_used=rng.randint(0, 8))])
        spec = kinds[step % len(kinds)]
        kept = filters.filter_table(chain, table, spec, last)
        full_pass = filters.filter_table(chain, table, spec)
        assert kept[0].tolist() == full_pass[0].tolist(), step
        assert kept[1] == full_pass[1], step
    # Each kind answered afresh once, then again only at its first turn
    # after an overflow (the last overflow, at step 199, ends the run).
    overflows = range(49, 200, 50)
    assert len(fulls) == len(kinds) + sum(min(len(kinds), 200 - step)
                                          for step in overflows)
