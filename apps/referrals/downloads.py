"""One attachment download for the page and the API: the same file, headers and access-log row."""

from django.http import FileResponse, Http404
from django.utils.cache import add_never_cache_headers, patch_cache_control

from .access import log_access
from .models import AccessLog, Attachment

FILE_MISSING = "The file is missing."


def attachment_response(request, attachment: Attachment, *, channel: str) -> FileResponse:
    """The stored file, read through the attachments' storage, as a download typed as its content was found to be.

    `nosniff` keeps browsers to that type, `sandbox` keeps anything active in the file (a script in a PDF,
    say) away from the site's origin, and no cache keeps a copy of patient data.
    """
    try:
        handle = Attachment.storage().open(attachment.storage_name, "rb")  # FileResponse streams and closes it
    except FileNotFoundError as missing:
        raise Http404(FILE_MISSING) from missing
    log_access(request, action=AccessLog.Action.DOWNLOAD, obj=attachment, channel=channel)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.download_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response
