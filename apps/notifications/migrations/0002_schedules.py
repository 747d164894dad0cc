"""The scheduled jobs, as django-q2 Schedule rows (the admin shows and can pause them). Written here so that every
database gets them with `migrate`; a changed schedule is a new migration."""

from django.db import migrations

SCHEDULES = [
    # name, function, schedule type (django_q.models.Schedule: I = every `minutes`, H = hourly, D = daily), minutes
    ("Send due emails", "apps.notifications.services.notifications_send_due", "I", 1),
    ("Referral answer reminders", "apps.referrals.services.referral_reminders_queue", "H", None),
    ("Listing verification reminders", "apps.directory.services.listing_verification_reminders_queue", "D", None),
]


def add_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, function, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": function, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
