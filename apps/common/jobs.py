"""Background jobs, on django-q2 with its ORM broker: the queue is a table in the app's own PostgreSQL, so
`make run` needs no other server, a job is enqueued in the same database as the change that asks for it, and a
job a killed worker held is handed out again after Q_CLUSTER["retry"] seconds.

Everything goes through `enqueue`, which carries the current request id into the job's log lines."""

from django.db import DatabaseError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.conf import Conf
from django_q.models import OrmQ, Task
from django_q.tasks import async_task
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .request_ids import current_request_id, request_id_bound


def enqueue(function: str, *args, **kwargs) -> str:
    """Run the function at dotted path `function` on a worker; the task's id."""
    return async_task("apps.common.jobs.run", function, current_request_id(), *args, task_name=function, **kwargs)


def run(function: str, request_id: str | None, *args, **kwargs):
    """What a worker runs: the function, under the id of the request that enqueued it."""
    with request_id_bound(request_id):
        return import_string(function)(*args, **kwargs)


def queue_answers() -> None:
    """The readiness check: the queue's table answers (it is in the database, behind the same connection)."""
    OrmQ.objects.using(Conf.ORM).exists()


class QueueCollector(Collector):
    """At each scrape: tasks waiting, tasks a worker holds, and failed tasks kept (the last Q_CLUSTER["save_limit"])."""

    def collect(self):
        now = timezone.now()
        try:
            queued = OrmQ.objects.using(Conf.ORM).aggregate(
                waiting=Count("pk", filter=Q(lock__lte=now)), running=Count("pk", filter=Q(lock__gt=now))
            )
            failures = Task.objects.filter(success=False).count()
        except DatabaseError:
            return  # the scrape still gets the request metrics; readiness reports the database
        yield GaugeMetricFamily("oncodir_job_queue_waiting", "Tasks waiting for a worker.", value=queued["waiting"])
        yield GaugeMetricFamily("oncodir_job_queue_running", "Tasks a worker holds.", value=queued["running"])
        yield GaugeMetricFamily(
            "oncodir_job_failures",
            "Failed tasks kept in the job results.",
            value=failures,
        )
