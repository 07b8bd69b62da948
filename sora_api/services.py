"""The long-lived parts one API process shares between requests."""

from sora_api import feed
from sora_api import policy
from sora_api import timers
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
        self.feed = feed.Feed(conf, self.db)

    def start_timers(self):
        """Start this serving process's timers: the holds' expiry and the
        event feed's housekeeping."""
        timers.start(self)

    def after_fork(self):
        self.db.after_fork()
        self.scheduler.after_fork()
        # NOTE: threads do not survive a fork, and each serving process
        # expires holds (the parent of several only forks and reaps): they
        # are released while any worker lives, the database deciding which
        # worker releases each.
        self.start_timers()
