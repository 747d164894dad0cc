"""The test database as a DATABASE_URL, for the tests that run manage.py in a process of its own."""

from urllib.parse import quote


def database_url(settings_dict: dict) -> str:
    """A URL the app's settings read back to this database, on a TCP server or on the embedded one (whose
    host is a socket directory: libpq takes that as a `host` parameter, not in the URL's host part)."""
    user, port, name = settings_dict["USER"], settings_dict["PORT"] or 5432, settings_dict["NAME"]
    host = settings_dict["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{user}@:{port}/{name}?host={quote(host)}"
    return f"postgres://{user}@{host}:{port}/{name}"
