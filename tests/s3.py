"""An S3-compatible server for the attachment storage tests: moto's, over real HTTP on a free local port, in
the test process (each xdist worker runs its own), and a new empty bucket per test that the attachments'
storage is pointed at, configured by settings.py itself from a web node's environment."""

import runpy
import uuid
from dataclasses import dataclass

import pytest

REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass(frozen=True)
class Bucket:
    """A bucket as the tests look into it: straight through boto3, not through the app's storage."""

    name: str
    client: object
    environment: dict[str, str]

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(entry["Key"] for entry in listed.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)


def environment(endpoint: str, bucket: str) -> dict[str, str]:
    """The environment a web node of a site on S3 runs with (README, docs/operations.md)."""
    return {
        "ATTACHMENT_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_S3_ACCESS_KEY_ID": "testing",
        "AWS_S3_SECRET_ACCESS_KEY": "testing",
    }


def attachment_storage(variables: dict[str, str], monkeypatch) -> dict:
    """STORAGES["attachments"] as settings.py builds it in a process with these environment `variables`."""
    from oncodir import settings as settings_module

    with monkeypatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        return runpy.run_path(settings_module.__file__)["STORAGES"]["attachments"]


@pytest.fixture
def s3_bucket(s3_endpoint, settings, monkeypatch) -> Bucket:
    """A new, empty bucket, and the attachments' storage in it as a web node's environment would set it."""
    import boto3

    variables = environment(s3_endpoint, f"attachments-{uuid.uuid4().hex[:16]}")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=variables["AWS_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=variables["AWS_S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=variables["AWS_STORAGE_BUCKET_NAME"])
    settings.STORAGES = {**settings.STORAGES, "attachments": attachment_storage(variables, monkeypatch)}
    return Bucket(variables["AWS_STORAGE_BUCKET_NAME"], client, variables)
