"""The long-lived parts one API process shares between requests."""

from sora_api import policy
from sora_api.db import engine
from sora_api.scheduler import manager


class Services:
    """Configuration, database, policy enforcer and scheduler manager.

    Built once per process at start-up, so a bad plugin name or policy file
    fails before the first request, and handed to the Paste factories.
    """

    def __init__(self, conf):
        self.conf = conf
        self.db = engine.Database(conf)
        self.policy = policy.Enforcer(conf)
        self.scheduler = manager.SchedulerManager(conf, self.db)

    def after_fork(self):
        self.db.after_fork()
        self.scheduler.after_fork()
