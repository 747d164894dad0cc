import threading

import pytest
from django.db import connection

from apps.referrals import services
from apps.referrals.models import Referral, ReferralEvent

from .factories import make_referral

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_accept_and_reject_at_once_exactly_one_wins():
    # given a referral under review, loaded by two browser tabs at the same version
    referral = make_referral("under_review")
    onc = referral.oncologist.account
    version = referral.version
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def act(name, call):
        try:
            barrier.wait(timeout=10)
            results[name] = call()
        except Exception as error:  # the loser's exception is the result under test
            results[name] = error
        finally:
            connection.close()

    accept = threading.Thread(
        target=act,
        args=(
            "accept",
            lambda: services.referral_accept(referral=Referral.objects.get(pk=referral.pk), by=onc, version=version),
        ),
    )
    reject = threading.Thread(
        target=act,
        args=(
            "reject",
            lambda: services.referral_reject(
                referral=Referral.objects.get(pk=referral.pk),
                by=onc,
                version=version,
                reason_code="out_of_scope",
                comment="Hematology is better placed.",
            ),
        ),
    )

    # when both are sent at once, each on its own database connection
    accept.start()
    reject.start()
    accept.join(30)
    reject.join(30)

    # then exactly one wins, the other gets a conflict, and one event is recorded
    winners = [name for name, result in results.items() if isinstance(result, Referral)]
    losers = [result for result in results.values() if isinstance(result, services.ReferralConflict)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    referral.refresh_from_db()
    assert referral.status == {"accept": "accepted", "reject": "rejected"}[winners[0]]
    assert referral.version == version + 1
    assert ReferralEvent.objects.filter(referral=referral).count() == 1
