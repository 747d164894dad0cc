import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from apps.referrals import services
from apps.referrals.models import AccessLog, ReferralEvent

from .factories import make_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    referral = make_referral("submitted")
    services.referral_accept(referral=referral, by=referral.oncologist.account, version=referral.version)
    return ReferralEvent.objects.get(referral=referral)


@pytest.fixture
def log_row(gp):
    return AccessLog.objects.create(user=gp, role="gp", action="view", object_type="referral", object_id="x")


@pytest.mark.parametrize(
    "sql",
    ["UPDATE {table} SET {column} = {column} WHERE id = %s", "DELETE FROM {table} WHERE id = %s"],
    ids=["update", "delete"],
)
@pytest.mark.parametrize("which", ["access_log", "referral_event"])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_refuses_update_and_delete(sql, which, request, as_owner):
    # given a row of an append-only table, and the database owner: the trigger stops even the role that owns
    # the table (the app role is stopped before it, by its privileges: tests/security/test_database_roles.py)
    row = request.getfixturevalue("log_row" if which == "access_log" else "event")
    table = row._meta.db_table
    column = "object_type" if which == "access_log" else "reason"

    # when raw SQL tries to change or remove it
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(table=table, column=column), [row.pk])

    # then the row is still there, unchanged
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_orm_cannot_delete_or_update_log_rows(log_row):
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log_row.pk).update(object_id="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log_row.pk).delete()
    log_row.refresh_from_db()
    assert log_row.object_id == "x"
