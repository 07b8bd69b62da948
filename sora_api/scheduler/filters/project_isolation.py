"""Dedicated hosts: a host with ``projects`` takes only their requests."""

import numpy as np

from sora_api.scheduler import filters


class ProjectIsolationFilter(filters.BaseHostFilter):
    """A host whose ``projects`` list is empty takes every project; one
    with a list only the projects on it (Nova's
    AggregateMultiTenancyIsolation). Runs for every request; the answer is
    computed once per distinct list in the fleet, and spread over the rows
    only when it differs from the last request's.
    """

    reads = ('project_id',)
    row_local = True

    def filter_mask(self, table, alive, spec):
        codes, distinct, _ = table.factorized(('projects',),
                                              lambda: table.projects)
        answers = np.array([not projects or spec.project_id in projects
                            for projects in distinct], dtype=bool)
        return table.spread(('projects',), codes, answers)

    def rows_pass(self, table, rows, spec):
        return self.filter_mask(table, None, spec)[rows]

    def explain(self, table, row, spec):
        return (f'is dedicated to projects {sorted(table.projects[row])}, '
                f'not {spec.project_id}')
