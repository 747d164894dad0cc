"""Where referral attachments are kept: settings.STORAGES["attachments"], this filesystem storage by default or
`storage_s3.PrivateS3Storage`. Neither gives a file a URL: every download goes through
`downloads.attachment_response`, which checks who asks and writes the access log."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property

NOT_SERVED = "An attachment has no URL: only the download view (permission check, access log) serves it."


class NotServed:
    """A storage that refuses to make a URL for a file (a public or a signed one would bypass the view)."""

    def url(self, name, *args, **kwargs):
        raise NotImplementedError(NOT_SERVED)


class PrivateFileSystemStorage(NotServed, FileSystemStorage):
    """Files in a local folder: `location`, or else PRIVATE_MEDIA_ROOT/referrals, read when first used and again
    when PRIVATE_MEDIA_ROOT changes (a test's override moves it). One web node, or a volume they all share."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT / "referrals")

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)
