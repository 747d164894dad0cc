import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.referrals import services
from apps.referrals.models import AccessLog

from .factories import CLINICAL_MARKERS, make_referral
from .files import PDF

pytestmark = pytest.mark.django_db


def test_each_read_and_write_writes_one_row_with_who_what_when_and_where(client, django_assert_max_num_queries):
    # given a referral under review and its GP
    referral = make_referral("under_review")
    gp = referral.referring_gp
    client.force_login(gp)
    headers = {"HTTP_USER_AGENT": "TestBrowser/1.0", "REMOTE_ADDR": "203.0.113.9"}

    # when the GP lists, reads, writes a message, attaches a file, downloads it and cancels
    client.get(reverse("referrals:list"), **headers)
    client.get(referral.get_absolute_url(), **headers)
    client.post(reverse("referrals:message-create", args=[referral.pk]), {"body": "Hello"}, **headers)
    client.post(
        reverse("referrals:attachment-upload", args=[referral.pk]),
        {"file": SimpleUploadedFile("a.pdf", PDF)},
        **headers,
    )
    attachment = referral.attachments.get()
    client.get(attachment.get_absolute_url(), **headers)
    client.post(
        reverse("referrals:action", args=[referral.pk, "cancel"]),
        {"version": referral.version, "reason": "Moved away"},
        **headers,
    )

    # then one row per access, in order, with the user, role, IP, user agent and a UTC time
    rows = list(AccessLog.objects.order_by("id"))
    assert [(r.action, r.object_type) for r in rows] == [
        ("list", "referral"),
        ("list", "referral"),  # which referral the list showed
        ("view", "referral"),
        ("create", "message"),
        ("create", "attachment"),
        ("download", "attachment"),
        ("transition", "referral"),
    ]
    for row in rows:
        assert (row.user, row.role, row.ip_address, row.user_agent, row.channel) == (
            gp,
            "gp",
            "203.0.113.9",
            "TestBrowser/1.0",
            "page",
        )
        assert row.created_at.utcoffset() == datetime.timedelta(0)
        # no patient data anywhere in the log
        for marker in CLINICAL_MARKERS:
            assert marker not in " ".join(str(v) for v in row.__dict__.values())
    assert (rows[0].object_id, rows[0].detail) == ("", "1 shown")
    assert (rows[1].object_id, rows[1].detail) == (str(referral.pk), "listed")
    assert rows[2].object_id == str(referral.pk)
    assert rows[5].object_id == str(attachment.pk)


def test_refused_reads_are_not_served_and_are_logged_without_clinical_data(client, gp):
    referral = make_referral("under_review")
    client.force_login(gp)  # not this referral's GP
    response = client.get(referral.get_absolute_url())
    assert response.status_code == 404
    for marker in CLINICAL_MARKERS:
        assert marker not in response.content.decode()
    row = AccessLog.objects.get(object_id=str(referral.pk))
    assert (row.user, row.action, row.detail) == (gp, "view", "refused")


def test_the_detail_page_has_a_fixed_query_count(client, django_assert_max_num_queries):
    def measure(messages: int):
        referral = make_referral("under_review")
        gp = referral.referring_gp
        for index in range(messages):
            services.message_create(referral=referral, by=gp, body=f"Message {index}")
            services.attachment_add(referral=referral, by=gp, upload=SimpleUploadedFile(f"{index}.pdf", PDF))
        client.force_login(gp)
        with django_assert_max_num_queries(14) as captured:
            response = client.get(referral.get_absolute_url())
        assert response.status_code == 200
        return len(captured.captured_queries)

    assert measure(1) == measure(8)
