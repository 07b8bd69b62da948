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
        codes, answers = self._answers(table, spec)
        return table.spread(('projects',), codes, answers)

    def answer_key(self, table, spec):
        # NOTE: not the project: every project gets the same answers from
        # a fleet without dedicated hosts, or where none is its own, so
        # the driver's kept answers serve requests of every such project.
        return self._answers(table, spec)[1].tobytes()

    @staticmethod
    def _answers(table, spec):
        """``(codes, answers)``: each row's code of its project list, and
        whether each distinct list takes ``spec``'s project."""
        codes, distinct, _ = table.factorized(('projects',),
                                              lambda: table.projects)
        return codes, np.array([not projects or spec.project_id in projects
                                for projects in distinct], dtype=bool)

    def rows_pass(self, table, rows, spec):
        return self.filter_mask(table, None, spec)[rows]

    def explain(self, table, row, spec):
        return (f'is dedicated to projects {sorted(table.projects[row])}, '
                f'not {spec.project_id}')
