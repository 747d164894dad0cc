"""What an uploaded file really is, decided from the whole file: puremagic names the candidate types from
its signatures, then the file must parse as that type (pypdf reads every page of a PDF, Pillow decodes
every pixel of an image) and carry no markup a browser would run. Anything else is refused. The checks read a
private temporary copy (`received`), so nothing reaches the attachments' storage before they pass."""

import hashlib
import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import puremagic
from django.conf import settings
from django.core.files import File
from PIL import Image
from pypdf import PdfReader

from .models import Attachment

logger = logging.getLogger(__name__)

# Markup that makes a file a polyglot (a "PDF" that a browser would also run as a page).
ACTIVE_MARKUP = re.compile(rb"<\s*(script|html|body|iframe|svg|object|embed)\b", re.IGNORECASE)
CHUNK = 1024 * 1024
OVERLAP = 32  # a marker cut by a chunk boundary is still found


def _parses_as_pdf(path: Path) -> bool:
    reader = PdfReader(path, strict=True)
    pages = list(reader.pages)
    for page in pages:
        page.mediabox  # noqa: B018 - reading each page's box parses the page object
    return bool(pages)


def _decodes_as(image_format: str):
    def decodes(path: Path) -> bool:
        with Image.open(path) as image:
            image.verify()  # the structure and checksums
        with Image.open(path) as image:
            image.load()  # every pixel
            return image.format == image_format

    return decodes


PARSERS = {
    Attachment.Kind.PDF: _parses_as_pdf,
    Attachment.Kind.PNG: _decodes_as("PNG"),
    Attachment.Kind.JPEG: _decodes_as("JPEG"),
}


def has_active_markup(path: Path) -> bool:
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            if ACTIVE_MARKUP.search(tail + chunk):
                return True
            tail = chunk[-OVERLAP:]
    return False


def detect_content_type(path: Path) -> str | None:
    """The stored file's type (an Attachment.Kind), or None when it is not a clean PDF, PNG or JPEG."""
    try:
        candidates = [match.mime_type for match in puremagic.magic_file(str(path))]
    except puremagic.PureError:
        return None
    for content_type in dict.fromkeys(candidates):
        parses = PARSERS.get(content_type)
        if parses is None:
            continue
        try:
            accepted = parses(path)
        except Exception as error:
            logger.info("Upload refused as %s: %s", content_type, error)
            accepted = False
        if accepted and not has_active_markup(path):
            return content_type
        return None
    return None


@dataclass(frozen=True)
class Received:
    """An upload copied whole into a temporary file: the copy (open, for a storage to save), its size and
    SHA-256."""

    file: File
    size: int
    sha256: str

    @property
    def path(self) -> Path:
        return Path(self.file.name)


@contextmanager
def received(upload) -> Iterator[Received]:
    """`upload` (a Django UploadedFile) copied chunk by chunk into a new temporary file that only its owner may
    read (in FILE_UPLOAD_TEMP_DIR, else the system's), deleted when the block ends."""
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR, suffix=".upload") as copy:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            copy.write(chunk)
        copy.flush()
        yield Received(File(copy, name=copy.name), size, digest.hexdigest())
