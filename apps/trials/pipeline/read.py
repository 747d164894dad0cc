"""The study documents of a ClinicalTrials.gov file, without loading more than one study at a time."""

import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Bump to make the next import rewrite every study (the checksum of each then differs): do it when the
# import reads more or other fields.
READER_VERSION = "1"
NCT_NAME = re.compile(r"(?:.*/)?(NCT[0-9]{8})\.json")
# Bytes that cannot occur in valid JSON text and that the COPY framing or PostgreSQL text refuse.
FORBIDDEN = (b"\x00", b"\x01", b"\x02")


class TrialsFileError(Exception):
    """A path the import cannot read at all (missing, not JSON, not a study file)."""


@dataclass(frozen=True, slots=True)
class Document:
    """One study's JSON as the file has it, where it came from, and its checksum."""

    source: str  # the file (and zip member) named in a reject
    nct_id: str | None  # from the file name, when it names one: lets an unchanged study be skipped unread
    checksum: str
    data: bytes | None  # None: skipped, unchanged since the import that wrote this checksum


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A member or file that is not a study document; the reason goes to the rejects."""

    source: str
    reason: str
    nct_id: str | None = None  # from the file name: a study still in the file, though unreadable this time


def checksum(crc: int, size: int) -> str:
    """The change key of a study: the CRC-32 a zip records for each member (or computed), its size and the
    reader's version. A change that keeps both CRC and size is a 1 in 4 billion chance per changed study;
    the full-content alternative (a hash of every byte) would cost the unchanged re-import its speed."""
    return f"{READER_VERSION}:{crc:08x}:{size}"


def is_full(path: Path) -> bool:
    """A bulk zip or a directory lists every study: what it lacks has left. A single file does not."""
    return path.is_dir() or zipfile.is_zipfile(path)


def total_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.glob("*.json"))
    return path.stat().st_size


def documents(path: Path, known: dict[str, str]) -> Iterator[tuple[Document | Unreadable, int]]:
    """(document or unreadable member, bytes of the file done) for each study of `path`. A study whose
    file name gives its NCT id and whose checksum is `known[nct_id]` comes without its data."""
    if not path.exists():
        raise TrialsFileError(f"No such file or directory: {path}")
    if path.is_dir():
        yield from _directory(path, known)
    elif zipfile.is_zipfile(path):
        yield from _zip(path, known)
    else:
        yield from _single(path)


def _zip(path: Path, known: dict[str, str]) -> Iterator[tuple[Document | Unreadable, int]]:
    done = 0
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise TrialsFileError(f"{path.name}: not a readable zip ({error})") from error
    with archive:
        for info in archive.infolist():
            done += info.compress_size
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            source = f"{path.name}:{info.filename}"
            match = NCT_NAME.fullmatch(info.filename)
            nct_id = match.group(1) if match else None
            key = checksum(info.CRC, info.file_size)
            if nct_id and known.get(nct_id) == key:
                yield Document(source, nct_id, key, None), done
                continue
            try:
                data = archive.read(info)  # one member at a time; zipfile checks its CRC
            except (zipfile.BadZipFile, zlib.error, OSError) as error:
                yield Unreadable(source, f"unreadable zip member: {error}", nct_id), done
                continue
            yield _checked(source, nct_id, key, data), done


def _directory(path: Path, known: dict[str, str]) -> Iterator[tuple[Document | Unreadable, int]]:
    done = 0
    for file in sorted(path.glob("*.json")):
        data = file.read_bytes()
        done += len(data)
        match = NCT_NAME.fullmatch(file.name)
        nct_id = match.group(1) if match else None
        key = checksum(zlib.crc32(data), len(data))
        if nct_id and known.get(nct_id) == key:
            yield Document(file.name, nct_id, key, None), done
        else:
            yield _checked(file.name, nct_id, key, data), done


def _single(path: Path) -> Iterator[tuple[Document | Unreadable, int]]:
    """One study, or a search response ({"studies": [...]}): small files, read whole."""
    data = path.read_bytes()
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise TrialsFileError(f"{path.name}: not valid JSON ({error})") from error
    if isinstance(parsed, dict) and isinstance(parsed.get("studies"), list):
        for number, study in enumerate(parsed["studies"], start=1):
            source = f"{path.name}:studies[{number}]"
            if not isinstance(study, dict):
                yield Unreadable(source, "not a study object"), len(data)
                continue
            member = json.dumps(study, ensure_ascii=False).encode()
            yield _checked(source, None, checksum(zlib.crc32(member), len(member)), member), len(data)
    elif isinstance(parsed, dict) and "protocolSection" in parsed:
        match = NCT_NAME.fullmatch(path.name)
        yield (
            _checked(path.name, match.group(1) if match else None, checksum(zlib.crc32(data), len(data)), data),
            len(data),
        )
    else:
        raise TrialsFileError(f"{path.name}: neither a study nor a search response (no protocolSection, no studies)")


def _checked(source: str, nct_id: str | None, key: str, data: bytes) -> Document | Unreadable:
    """The document, or why it cannot be one: bytes valid JSON never holds, or text that is not UTF-8.
    Whether it is JSON at all is PostgreSQL's to say (apps.trials.pipeline.write)."""
    if any(byte in data for byte in FORBIDDEN):
        return Unreadable(source, "not valid JSON: control character", nct_id)
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError as error:
            return Unreadable(source, f"not UTF-8 text: {error}", nct_id)
    return Document(source, nct_id, key, data)
