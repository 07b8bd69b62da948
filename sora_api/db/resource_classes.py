"""Custom resource classes: create, list, delete, check names exist."""

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from sora_api import exception
from sora_api import timeutils
from sora_api.db import models

R = models.ResourceClass.__table__
INV = models.Inventory.__table__


def list_custom(db):
    """Names of the custom classes, sorted."""
    with db.connection() as conn:
        return list(conn.scalars(sa.select(R.c.name).order_by(R.c.name)))


def create(db, name):
    """Create the class; False when it already existed."""
    try:
        with db.connection(writer=True) as conn:
            if conn.execute(sa.select(R.c.name).where(
                    R.c.name == name)).first() is not None:
                return False
            conn.execute(sa.insert(R).values(name=name,
                                             created_at=timeutils.utcnow()))
    except sa_exc.IntegrityError:
        # A concurrent request created it first.
        return False
    return True


def delete(db, name):
    """Delete the class; refused while any host has an inventory of it."""
    with db.connection(writer=True) as conn:
        hosts = conn.execute(sa.select(sa.func.count()).where(
            INV.c.resource_class == name)).scalar_one()
        if hosts:
            raise exception.ResourceClassInUse(name=name, hosts=hosts)
        try:
            deleted = conn.execute(sa.delete(R).where(R.c.name == name))
        except sa_exc.IntegrityError:
            # An inventory or allocation of it was written meanwhile.
            raise exception.ResourceClassInUse(name=name, hosts=1) from None
        if not deleted.rowcount:
            raise exception.ResourceClassNotFound(name=name)


def check_exist(conn, names, field):
    """Raise ``UnknownResourceClass`` (naming ``field``) for a missing one."""
    names = set(names)
    if not names:
        return
    found = set(conn.scalars(sa.select(R.c.name).where(R.c.name.in_(names))))
    missing = sorted(names - found)
    if missing:
        raise exception.UnknownResourceClass(
            field='%s.%s' % (field, missing[0]), name=missing[0])


def require(db, names, field):
    """``check_exist`` in a transaction of its own."""
    if names:
        with db.connection() as conn:
            check_exist(conn, names, field)
