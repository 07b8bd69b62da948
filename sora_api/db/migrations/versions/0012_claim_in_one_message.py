"""PostgreSQL: ``sora_require``, which lets a claim fail inside the one
message that carries it.

Revision ID: 0012_claim_in_one_message
Revises: 0011_usage_rows_for_limits
Create Date: 2026-12-01

A claim on PostgreSQL sends its whole transaction, ``BEGIN`` to
``COMMIT``, as one message (``sora_api/db/claims.py``). A conditional
``UPDATE`` that matches no row is no error by itself; wrapped as
``WITH c AS (UPDATE ... RETURNING 1) SELECT sora_require(count(*) = 1,
'no_room') FROM c`` it raises, and PostgreSQL then runs nothing more of
the message: the transaction stays open, failed, until the claim rolls
it back. Other databases need nothing.
"""

from alembic import op

revision = '0012_claim_in_one_message'
down_revision = '0011_usage_rows_for_limits'
branch_labels = None
depends_on = None

_FUNCTION = """
CREATE FUNCTION sora_require(ok boolean, reason text) RETURNS boolean AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = reason;
    END IF;
    RETURN true;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_FUNCTION)

