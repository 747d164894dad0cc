"""The user mix of bench/load_test.py (which starts Locust with it; it runs in bench/.venv-load).

- Patients (every user not listed below): the search page (a physician's name with a typo, a specialty near a
  ZIP code, a cancer type near a ZIP code), profile pages, /api/v1/physicians/ reads (a search, one physician)
  and a few /fhir/ reads, with a few seconds' thought between pages.
- GPs (LOAD_GP_USERS of them, each its own account and API token): refer a patient (create the draft, then
  submit it) to one of the oncologists below, keeping at most IN_FLIGHT referrals open, read their list,
  acknowledge each completed outcome, now and then read a referral's timeline.
- Oncologists (LOAD_ONCOLOGIST_USERS, each its own account): read their open referrals and move each one step:
  open (the first read of a submitted referral), accept, schedule, complete.

Every request is named for the table ("search page: name typo", "referral submit", ...), and every response is
written to LOAD_REQUEST_LOG (start time, name, status, milliseconds) so that load_test.py can tell the requests
made while a fault was on from the others; every referral the clients saw (its id, status and version, and
every write that failed) goes to LOAD_REFERRAL_LOG, against which it checks the database afterwards.
Redirects are not followed: a 3xx counts as a failure.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import sys
import time
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from name_typos import typo

FIXTURES = json.loads(Path(os.environ["LOAD_FIXTURES"]).read_text())
GP_USERS = int(os.environ.get("LOAD_GP_USERS", "1"))
ONCOLOGIST_USERS = int(os.environ.get("LOAD_ONCOLOGIST_USERS", "1"))
IN_FLIGHT = 3  # a GP's referrals not yet acknowledged, at most
RADII = (10, 25, 50)
OPEN_STATUSES = ("submitted", "under_review", "accepted", "scheduled")

_request_log = open(os.environ["LOAD_REQUEST_LOG"], "a", buffering=1 << 16)  # noqa: SIM115 (closed at quit)
_referral_log = open(os.environ["LOAD_REFERRAL_LOG"], "a", buffering=1)  # noqa: SIM115


@events.request.add_listener
def _logged(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    failed = exception is not None or not 200 <= status < 300
    started = kwargs.get("start_time") or time.time() - response_time / 1000
    _request_log.write(f"{started:.3f}\t{name}\t{status}\t{response_time:.1f}\t{int(failed)}\n")


@events.quitting.add_listener
def _closed(**kwargs):
    _request_log.flush()
    _referral_log.flush()


def _seen(referral: dict, by: str, action: str) -> None:
    line = {"t": time.time(), "id": referral["id"], "status": referral["status"], "version": referral["version"]}
    _referral_log.write(json.dumps({**line, "by": by, "action": action, "ok": True}) + "\n")


def _failed(referral_id: str | None, by: str, action: str, response) -> None:
    line = {"t": time.time(), "id": referral_id, "by": by, "action": action, "ok": False}
    line.update(code=response.status_code, body=response.text[:300])
    _referral_log.write(json.dumps(line) + "\n")


def _letters(number: int) -> str:
    """A number as letters (a name takes no digits): 0 -> "a", 27 -> "bb"."""
    out = ""
    while True:
        number, digit = divmod(number, 26)
        out += "abcdefghijklmnopqrstuvwxyz"[digit]
        if not number:
            return out


class Visitor(HttpUser):
    abstract = True

    def get(self, name: str, path: str, **kwargs):
        return self.client.get(path, name=name, allow_redirects=False, **kwargs)


class Patient(Visitor):
    """Someone looking for an oncologist: the public pages, API and FHIR."""

    weight = 1
    wait_time = between(1, 5)

    def on_start(self):
        self.rng = random.Random()

    def _physician(self) -> dict:
        return self.rng.choice(FIXTURES["physicians"])

    def _near(self) -> str:
        return f"near={self.rng.choice(FIXTURES['zips'])}&radius={self.rng.choice(RADII)}"

    def _typed_name(self) -> str:
        last = self._physician()["last_name"]
        return (
            typo(last, self.rng.choice(("swap", "drop", "double", "substitute")), self.rng) if len(last) > 2 else last
        )

    @task(4)
    def search_name(self):
        self.get("search page: name typo", "/physicians/", params={"q": self._typed_name()})

    @task(4)
    def search_specialty(self):
        specialty = self.rng.choice(FIXTURES["specialties"])
        self.get("search page: specialty + ZIP", f"/physicians/?specialty={specialty}&{self._near()}")

    @task(3)
    def search_cancer(self):
        cancer = self.rng.choice(FIXTURES["cancer_types"])
        self.get("search page: cancer + ZIP", f"/physicians/?cancer={cancer}&{self._near()}")

    @task(5)
    def profile(self):
        self.get("profile page", self._physician()["url"])

    @task(3)
    def api_search(self):
        specialty = self.rng.choice(FIXTURES["specialties"])
        if self.rng.random() < 0.5:
            self.get("API list: specialty + ZIP", f"/api/v1/physicians/?specialty={specialty}&{self._near()}")
        else:
            self.get("API list: name typo", "/api/v1/physicians/", params={"q": self._typed_name()})

    @task(2)
    def api_physician(self):
        self.get("API physician", f"/api/v1/physicians/{self._physician()['npi']}/")

    @task(1)
    def fhir(self):
        headers = {"Accept": "application/fhir+json"}
        if self.rng.random() < 0.5:
            self.get("FHIR Practitioner read", f"/fhir/Practitioner/{self._physician()['npi']}", headers=headers)
        else:
            cancer = self.rng.choice(FIXTURES["cancer_types"])
            self.get(
                "FHIR PractitionerRole search", f"/fhir/PractitionerRole?cancer={cancer}&_count=20", headers=headers
            )


class _Account(Visitor):
    abstract = True
    role = ""
    _numbers: itertools.count

    def on_start(self):
        self.rng = random.Random()
        self.account = FIXTURES[self.role + "s"][next(self._numbers) % len(FIXTURES[self.role + "s"])]
        self.client.headers["Authorization"] = f"Token {self.account['token']}"

    def post(self, name: str, path: str, data: dict, referral_id: str | None):
        """A referral write: its answer, or None (logged as failed for the consistency check)."""
        response = self.client.post(path, json=data, name=name, allow_redirects=False)
        if response.status_code in (200, 201):
            body = response.json()
            _seen(body, self.role, name)
            return body
        _failed(referral_id, self.role, name, response)
        return None

    def referrals(self, name: str, statuses) -> list[dict]:
        query = "&".join(f"status={status}" for status in statuses)
        response = self.get(name, f"/api/v1/referrals/?{query}")
        if response.status_code != 200:
            return []
        rows = response.json()["results"]
        for row in rows:
            _seen(row, self.role, name)
        return rows


class GP(_Account):
    """A GP: refers patients to the load test's oncologists and acknowledges their outcomes."""

    fixed_count = GP_USERS
    wait_time = between(2, 5)
    role = "gp"
    _numbers = itertools.count()
    _patients = itertools.count()

    def on_start(self):
        super().on_start()
        self.in_flight: set[str] = set()

    @task
    def work(self):
        mine = self.referrals("referral list (GP)", ())
        self.in_flight &= {row["id"] for row in mine if row["status"] in (*OPEN_STATUSES, "completed")}
        for row in [row for row in mine if row["status"] == "completed"][:2]:
            if self.post(
                "referral acknowledge", self._action(row, "acknowledge"), {"version": row["version"]}, row["id"]
            ):
                self.in_flight.discard(row["id"])
        if mine and self.rng.random() < 0.3:
            row = self.rng.choice(mine)
            self.get("referral timeline", f"/api/v1/referrals/{row['id']}/events/")
        if len(self.in_flight) < IN_FLIGHT:
            self.refer()

    @staticmethod
    def _action(row: dict, action: str) -> str:
        return f"/api/v1/referrals/{row['id']}/{action}/"

    def refer(self):
        number = next(self._patients)
        oncologist = FIXTURES["oncologists"][self.rng.randrange(min(ONCOLOGIST_USERS, len(FIXTURES["oncologists"])))]
        draft = {
            "oncologist_npi": oncologist["npi"],
            "patient_first_name": self.rng.choice(("Ana", "Ben", "Chloe", "Dmitri", "Esther", "Farid")),
            "patient_last_name": "Loadtest-" + _letters(os.getpid()) + "-" + _letters(number),
            "patient_date_of_birth": str(
                datetime.date(1940, 1, 1) + datetime.timedelta(days=self.rng.randrange(20000))
            ),
            "patient_sex": self.rng.choice(("F", "M", "X", "U")),
            "patient_phone": "212-555-0100",
            "priority": self.rng.choice(("routine", "urgent")),
            "cancer_type": self.rng.choice(FIXTURES["cancer_types"]),
            "icd10_code": "C50.911",
            "clinical_question": "Palpable lump: please assess for biopsy.",
            "patient_consent": True,
        }
        created = self.post("referral create", "/api/v1/referrals/", draft, None)
        if created is None:
            return
        self.in_flight.add(created["id"])
        self.post("referral submit", self._action(created, "submit"), {"version": created["version"]}, created["id"])


class Oncologist(_Account):
    """An oncologist: moves each open referral sent to them one step a visit."""

    fixed_count = ONCOLOGIST_USERS
    wait_time = between(2, 5)
    role = "oncologist"
    _numbers = itertools.count()

    @task
    def work(self):
        for row in self.referrals("referral list (oncologist)", OPEN_STATUSES)[:3]:
            self.step(row)

    def step(self, row: dict):
        action = f"/api/v1/referrals/{row['id']}/"
        version = {"version": row["version"]}
        if row["status"] == "submitted":  # the oncologist's first read opens it
            response = self.get("referral open (read)", action)
            if response.status_code == 200:
                _seen(response.json(), self.role, "referral open (read)")
            else:
                _failed(row["id"], self.role, "referral open (read)", response)
        elif row["status"] == "under_review":
            self.post("referral accept", action + "accept/", version, row["id"])
        elif row["status"] == "accepted":
            when = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)).isoformat()
            body = {**version, "appointment_at": when, "place": "Cancer Center, Suite 4"}
            self.post("referral schedule", action + "schedule/", body, row["id"])
        elif row["status"] == "scheduled":
            body = {**version, "findings": "Benign fibroadenoma.", "recommendations": "Routine follow-up."}
            self.post("referral complete", action + "complete/", body, row["id"])
