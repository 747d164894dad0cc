"""The attachments in a bucket of an S3-compatible service (django-storages), which every web node reads: a
module of its own so that a site on the filesystem never imports boto3."""

from storages.backends.s3 import S3Storage

from .storage import NotServed


class PrivateS3Storage(NotServed, S3Storage):
    """Objects in a private bucket, under their storage_name; never given a URL, signed or not."""
