"""SQLAlchemy models of Sora's tables.

Usage counters on ``hosts`` (``vcpus_used`` ...) are the sum of the host's
``allocations`` rows; they change only in the transaction that writes or
deletes those rows, so a claim can be one conditional ``UPDATE``.
"""

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import mysql

from sora_api import timeutils

# NOTE: MySQL and MariaDB keep whole seconds in a DATETIME unless told
# otherwise; a host's creation time orders equally weighed hosts (oldest
# first), which hosts registered within one second must not tie on.
MICROSECONDS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql',
                                          'mariadb')


class Base(orm.DeclarativeBase):
    pass


class Host(Base):
    __tablename__ = 'hosts'

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False, unique=True)
    availability_zone = sa.Column(sa.String(255), nullable=False, index=True)
    enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    disabled_reason = sa.Column(sa.String(255))
    vcpus = sa.Column(sa.BigInteger, nullable=False)
    memory_mb = sa.Column(sa.BigInteger, nullable=False)
    disk_gb = sa.Column(sa.BigInteger, nullable=False)
    cpu_allocation_ratio = sa.Column(sa.Float, nullable=False)
    ram_allocation_ratio = sa.Column(sa.Float, nullable=False)
    disk_allocation_ratio = sa.Column(sa.Float, nullable=False)
    reserved_vcpus = sa.Column(sa.BigInteger, nullable=False, default=0)
    reserved_memory_mb = sa.Column(sa.BigInteger, nullable=False, default=0)
    reserved_disk_gb = sa.Column(sa.BigInteger, nullable=False, default=0)
    vcpus_used = sa.Column(sa.BigInteger, nullable=False, default=0)
    memory_mb_used = sa.Column(sa.BigInteger, nullable=False, default=0)
    disk_gb_used = sa.Column(sa.BigInteger, nullable=False, default=0)
    instances = sa.Column(sa.Integer, nullable=False, default=0)
    io_ops = sa.Column(sa.Integer, nullable=False, default=0)
    last_heartbeat = sa.Column(sa.DateTime)
    # Whether a host.down event was written and no host.up since: flipped by
    # conditional UPDATEs, so one writer wins each transition (db/events.py).
    seen_down = sa.Column(sa.Boolean, nullable=False,
                          server_default=sa.false(), default=False)
    generation = sa.Column(sa.BigInteger, nullable=False, default=1)
    # ``host_changes.seq`` of the last change of any field, and of the last
    # change of the fields a usage claim never touches (name, zone, traits,
    # metadata, ...): what each worker's host cache reads to catch up.
    change_seq = sa.Column(sa.BigInteger, nullable=False, server_default='0',
                           index=True)
    attrs_seq = sa.Column(sa.BigInteger, nullable=False, server_default='0')
    # How many custom-class inventories the host has: host caches read
    # inventory rows only for hosts that have some, so a fleet of standard
    # hosts costs no extra query.
    custom_inventories = sa.Column(sa.Integer, nullable=False,
                                   server_default='0')
    # On PostgreSQL, the id of the last transaction that changed the row
    # (and its attributes), stamped by a trigger: how host caches catch up
    # there without every writer queueing on the ``host_changes`` row.
    change_xid = sa.Column(sa.BigInteger, index=True)
    attrs_xid = sa.Column(sa.BigInteger)
    created_at = sa.Column(MICROSECONDS, nullable=False,
                           default=timeutils.utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False,
                           default=timeutils.utcnow)


class HostTrait(Base):
    __tablename__ = 'host_traits'

    host_id = sa.Column(sa.String(36),
                        sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                        primary_key=True)
    trait = sa.Column(sa.String(255), primary_key=True, index=True)


class HostMetadata(Base):
    __tablename__ = 'host_metadata'

    host_id = sa.Column(sa.String(36),
                        sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                        primary_key=True)
    key = sa.Column(sa.String(255), primary_key=True)
    value = sa.Column(sa.String(255), nullable=False)


class HostTaint(Base):
    """A taint of a host: requests that do not tolerate it stay off
    (``NoSchedule``) or go there last (``PreferNoSchedule``)."""

    __tablename__ = 'host_taints'

    host_id = sa.Column(sa.String(36),
                        sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                        primary_key=True)
    key = sa.Column(sa.String(255), primary_key=True)
    effect = sa.Column(sa.String(32), primary_key=True)
    value = sa.Column(sa.String(255), nullable=False)


class HostProject(Base):
    """A project a host is dedicated to; a host without any takes every
    project."""

    __tablename__ = 'host_projects'

    host_id = sa.Column(sa.String(36),
                        sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                        primary_key=True)
    project_id = sa.Column(sa.String(255), primary_key=True)


class ResourceClass(Base):
    """A custom resource class (``CUSTOM_...``); the standard three are not
    stored, they are the capacity columns of ``hosts``."""

    __tablename__ = 'resource_classes'

    name = sa.Column(sa.String(255), primary_key=True)
    created_at = sa.Column(sa.DateTime, nullable=False,
                           default=timeutils.utcnow)


class Inventory(Base):
    """A host's amount of one custom class, and how much of it is used.

    ``used`` is the sum of the class's ``custom_allocations`` on the host,
    changed only with them, so a claim is one conditional ``UPDATE``.
    """

    __tablename__ = 'inventories'

    host_id = sa.Column(sa.String(36),
                        sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                        primary_key=True)
    # No cascade: a class with inventories cannot be deleted.
    resource_class = sa.Column(sa.String(255),
                               sa.ForeignKey('resource_classes.name'),
                               primary_key=True, index=True)
    total = sa.Column(sa.BigInteger, nullable=False)
    reserved = sa.Column(sa.BigInteger, nullable=False)
    allocation_ratio = sa.Column(sa.Float, nullable=False)
    max_unit = sa.Column(sa.BigInteger, nullable=False)
    used = sa.Column(sa.BigInteger, nullable=False)


class HostChanges(Base):
    """One row whose ``seq`` numbers every change to any host.

    Every transaction that changes hosts increments it last, just before it
    commits, so the numbers are handed out in commit order even on a server
    database: a reader that has seen number N has seen every change below N.
    On PostgreSQL it is not used (``Host.change_xid`` is), unless
    ``[database] legacy_host_change_counter`` keeps it for servers of an
    earlier release.
    """

    __tablename__ = 'host_changes'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    seq = sa.Column(sa.BigInteger, nullable=False)
    # The number of the newest host deletion: readers look for tombstones
    # only when it is past what they have seen.
    deleted_seq = sa.Column(sa.BigInteger, nullable=False)


class HostTombstone(Base):
    """A deleted host, so host caches learn to drop it."""

    __tablename__ = 'host_tombstones'

    host_id = sa.Column(sa.String(36), primary_key=True)
    change_seq = sa.Column(sa.BigInteger, nullable=False, index=True)
    change_xid = sa.Column(sa.BigInteger, index=True)


class DatabaseIdentity(Base):
    """One row, a UUID written when the schema is created.

    A host cache that finds another UUID (the database was replaced by
    another one) reloads every host instead of catching up.
    """

    __tablename__ = 'database_identity'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    uuid = sa.Column(sa.String(36), nullable=False)


class Schedule(Base):
    __tablename__ = 'schedules'
    __table_args__ = (
        sa.Index('ix_schedules_project_group', 'project_id', 'group_name'),
        sa.Index('ix_schedules_status_expires', 'status', 'expires_at'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(255), nullable=False, index=True)
    user_id = sa.Column(sa.String(255), nullable=False)
    # active, held (until expires_at) or expired (a hold not confirmed in
    # time: its allocations are released).
    status = sa.Column(sa.String(32), nullable=False, default='active')
    generation = sa.Column(sa.Integer, nullable=False, default=1,
                           server_default='1')
    expires_at = sa.Column(sa.DateTime)
    group_name = sa.Column(sa.String(255))
    # The validated request as the client sent it: resources, num_instances,
    # availability_zone, traits, metadata and hints.
    request = sa.Column(sa.JSON, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False,
                           default=timeutils.utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False,
                           default=timeutils.utcnow)


class Allocation(Base):
    __tablename__ = 'allocations'
    __table_args__ = (
        sa.UniqueConstraint('schedule_id', 'instance_index',
                            name='uniq_allocations0schedule_index'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    schedule_id = sa.Column(sa.String(36),
                            sa.ForeignKey('schedules.id', ondelete='CASCADE'),
                            nullable=False)
    instance_index = sa.Column(sa.Integer, nullable=False)
    # No cascade: a host with allocations cannot be deleted.
    host_id = sa.Column(sa.String(36), sa.ForeignKey('hosts.id'),
                        nullable=False, index=True)
    vcpus = sa.Column(sa.BigInteger, nullable=False)
    memory_mb = sa.Column(sa.BigInteger, nullable=False)
    disk_gb = sa.Column(sa.BigInteger, nullable=False)


class CustomAllocation(Base):
    """The amount of one custom class an instance of a schedule holds."""

    __tablename__ = 'custom_allocations'

    schedule_id = sa.Column(sa.String(36),
                            sa.ForeignKey('schedules.id', ondelete='CASCADE'),
                            primary_key=True)
    instance_index = sa.Column(sa.Integer, primary_key=True)
    resource_class = sa.Column(sa.String(255),
                               sa.ForeignKey('resource_classes.name'),
                               primary_key=True)
    host_id = sa.Column(sa.String(36), sa.ForeignKey('hosts.id'),
                        nullable=False, index=True)
    amount = sa.Column(sa.BigInteger, nullable=False)


class Quota(Base):
    """A project's limit of one resource (``instances`` or a class name);
    -1 is unlimited. A resource without a row has the ``[quota]`` default.
    """

    __tablename__ = 'quotas'

    project_id = sa.Column(sa.String(255), primary_key=True)
    resource = sa.Column(sa.String(255), primary_key=True)
    hard_limit = sa.Column(sa.BigInteger, nullable=False)


class ProjectUsage(Base):
    """What a project's live schedules hold of one resource a limit
    applies to (``db/quotas.py``: no row for a resource without a limit).

    Changed only in the transactions that claim or release allocations, by
    a conditional ``UPDATE`` that also checks the limit: the row serialises
    the project's claims, so racing requests never pass a quota.
    """

    __tablename__ = 'project_usages'

    project_id = sa.Column(sa.String(255), primary_key=True)
    resource = sa.Column(sa.String(255), primary_key=True)
    used = sa.Column(sa.BigInteger, nullable=False)


class ScheduleGroup(Base):
    """A project's named server group; its generation serialises claims.

    Two concurrent requests for one anti-affinity group could each pick the
    same host; bumping the group's generation with compare-and-swap in the
    claim transaction makes the slower one lose and schedule again.
    """

    __tablename__ = 'schedule_groups'

    project_id = sa.Column(sa.String(255), primary_key=True)
    name = sa.Column(sa.String(255), primary_key=True)
    generation = sa.Column(sa.BigInteger, nullable=False, default=0)
    # What the group's first live schedule fixed (``topology.group_policy``):
    # the same claim that swaps the generation writes them, so a request
    # placed under other ones loses its claim and sees the 409.
    policy = sa.Column(sa.String(32))
    topology_key = sa.Column(sa.String(300))
    max_per_domain = sa.Column(sa.Integer)


class IdempotencyKey(Base):
    __tablename__ = 'idempotency_keys'

    project_id = sa.Column(sa.String(255), primary_key=True)
    key = sa.Column(sa.String(255), primary_key=True)
    request_hash = sa.Column(sa.String(64), nullable=False)
    schedule_id = sa.Column(sa.String(36),
                            sa.ForeignKey('schedules.id', ondelete='CASCADE'),
                            nullable=False, index=True)


class Token(Base):
    __tablename__ = 'tokens'

    id = sa.Column(sa.String(36), primary_key=True)
    # SHA-256 of the secret; the secret itself is never stored.
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    user_id = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    roles = sa.Column(sa.String(1024), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False,
                           default=timeutils.utcnow)


class Event(Base):
    """One entry of the change feed, written with the change it describes."""

    __tablename__ = 'events'
    __table_args__ = (
        sa.Index('ix_events_id', 'id', unique=True),
        sa.Index('ix_events_project_id', 'project_id', 'id'),
    )

    # The row's own key, from a sequence: not what clients see (its gaps
    # and commit order do not matter), only the order unnumbered events
    # are numbered in.
    pk = sa.Column(sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                   primary_key=True, autoincrement=True)
    # The public number, in commit order: a reader that sees number N has
    # seen every number below it. SQLite and MariaDB writers take it from
    # ``event_counter``; PostgreSQL writers leave it NULL and the feed's
    # reader numbers committed events (db/events.py).
    id = sa.Column(sa.BigInteger)
    time = sa.Column(sa.DateTime, nullable=False, index=True)
    type = sa.Column(sa.String(32), nullable=False)
    host_id = sa.Column(sa.String(36))
    schedule_id = sa.Column(sa.String(36))
    project_id = sa.Column(sa.String(255))


class EventCounter(Base):
    """One row: the newest event number and the newest one pruned."""

    __tablename__ = 'event_counter'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    seq = sa.Column(sa.BigInteger, nullable=False)
    pruned_seq = sa.Column(sa.BigInteger, nullable=False)
