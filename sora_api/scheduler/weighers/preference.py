"""Weigh hosts by the request's ``preferences``: soft JsonFilter queries."""

import numpy as np

from sora_api.scheduler import weighers


class PreferenceWeigher(weighers.BaseHostWeigher):
    """Raw value: the sum of the weights of the preferences a host matches
    (a negative weight pushes away). Each preference's query was compiled
    once, when the request was built, by JsonFilter's compiler, and is
    evaluated over the table's columns: every host at once.
    """

    def weight_multiplier(self):
        return self.conf.filter_scheduler.preference_weight_multiplier

    def applies(self, spec):
        return bool(spec.preferences)

    def weigh_rows(self, table, rows, spec):
        raw = np.zeros(len(table), dtype=np.int64)
        for preference in spec.preferences:
            raw += preference.weight * preference.matches(table)
        return weighers.at(raw, rows)
