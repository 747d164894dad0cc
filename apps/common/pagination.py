"""Keyset ("seek") pagination: a stable order and constant cost at any depth, for any sort.

Why not DRF's ``CursorPagination``: it positions on a single model field and breaks ties by an OFFSET
inside the cursor, so it cannot page a relevance rank or a computed distance and slows down on long runs
of equal values (thousands of Smiths). Why not page numbers: OFFSET makes page N cost N pages, and rows
shift between pages when data changes, which is what ``no cap on depth`` and ``stable order`` rule out.

This paginator reads the queryset's own ``ORDER BY`` (model fields, annotations such as a search rank or
``distance_miles``, or expressions), appends the primary key as the final tie-breaker so the order is
total, and pages with a WHERE clause on those values, the row comparison
``(k1, k2, pk) > (v1, v2, v3)`` spelled out per key so mixed directions and NULLs work. The cursor holds
the values of the last (or first) row of the page, signed so clients cannot forge SQL values, and a
fingerprint of the sort so a cursor cannot be replayed against a different order. Pages cost one
query, whatever the depth and the page size, and never count the whole result.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Expression, F, FloatField, OrderBy, Q, QuerySet
from django.db.models.functions import Cast
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

CURSOR_SALT = "apps.common.pagination.cursor"
INVALID_CURSOR = "This cursor is not valid: use the `next` or `previous` link of a page as it was given."
STALE_CURSOR = "This cursor belongs to a different sort order: start again without it."
INVALID_PAGE_SIZE = "Enter a whole number from 1 to {max}."

FORWARD, BACKWARD = "n", "p"


@dataclass(frozen=True)
class _Key:
    alias: str
    expression: Any
    descending: bool
    nulls_last: bool

    def reversed(self) -> _Key:
        return _Key(self.alias, self.expression, not self.descending, not self.nulls_last)

    def order_by(self) -> OrderBy:
        if self.nulls_last:
            return OrderBy(F(self.alias), descending=self.descending, nulls_last=True)
        return OrderBy(F(self.alias), descending=self.descending, nulls_first=True)


def _encode_value(value: Any) -> list[Any]:
    # JSON keeps str, int, float (repr round-trips exactly) and None; dates and decimals are tagged.
    if isinstance(value, datetime.datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, datetime.date):
        return ["d", value.isoformat()]
    if isinstance(value, decimal.Decimal):
        return ["n", str(value)]
    return ["v", value]


def _decode_value(tagged: list[Any]) -> Any:
    tag, raw = tagged
    if tag == "dt":
        return datetime.datetime.fromisoformat(raw)
    if tag == "d":
        return datetime.date.fromisoformat(raw)
    if tag == "n":
        return decimal.Decimal(raw)
    if tag == "v":
        return raw
    raise ValueError(tag)


def _seek(keys: list[_Key], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order ``keys``: the expanded row comparison."""
    condition: Q | None = None  # None: no row is after (equal on every key)
    for key, value in reversed(list(zip(keys, values, strict=True))):
        equal_and_after = None if condition is None else condition
        if value is None:
            tie = Q(**{f"{key.alias}__isnull": True})
            beyond = None if key.nulls_last else Q(**{f"{key.alias}__isnull": False})
        else:
            tie = Q(**{key.alias: value})
            beyond = Q(**{f"{key.alias}__{'lt' if key.descending else 'gt'}": value})
            if key.nulls_last:
                beyond |= Q(**{f"{key.alias}__isnull": True})
        step = beyond
        if equal_and_after is not None:
            step = (tie & equal_and_after) if step is None else (step | (tie & equal_and_after))
        condition = step
    return condition if condition is not None else Q(pk__in=[])


def _leading_bound(key: _Key, value: Any) -> Q:
    """A redundant ``k1 >= v1`` that lets PostgreSQL start an index scan at the cursor."""
    if value is None or key.nulls_last:
        return Q()
    return Q(**{f"{key.alias}__{'lte' if key.descending else 'gte'}": value})


class KeysetPagination(BasePagination):
    """``?cursor=`` and ``?page_size=`` over any ordered queryset; see the module docstring."""

    page_size = 20
    max_page_size = 100
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    alias_prefix = "_keyset_"

    # -- DRF interface ------------------------------------------------------------------------------
    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list[Any]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.limit = self.get_page_size(request)
        keys, expressions = self._keys(queryset)
        self.fingerprint = hashlib.sha256(repr([(k.expression, k.descending) for k in keys]).encode()).hexdigest()[:12]
        direction, values = self._read_cursor(request, len(keys))

        queryset = queryset.annotate(**expressions)
        keys_in_effect = [k.reversed() for k in keys] if direction == BACKWARD else keys
        if values is not None:
            queryset = queryset.filter(_leading_bound(keys_in_effect[0], values[0]), _seek(keys_in_effect, values))
        rows = list(queryset.order_by(*(k.order_by() for k in keys_in_effect))[: self.limit + 1])
        has_more = len(rows) > self.limit
        rows = rows[: self.limit]
        if direction == BACKWARD:
            rows.reverse()

        self.next_values = self.previous_values = None
        if rows:
            first, last = self._row_values(rows[0], keys), self._row_values(rows[-1], keys)
            if direction == BACKWARD:
                self.previous_values = first if has_more else None
                self.next_values = last
            else:
                self.next_values = last if has_more else None
                self.previous_values = first if values is not None else None
        elif values is not None:
            # Past either end: offer the way back in, so a client is never stranded.
            if direction == BACKWARD:
                self.next_values = values
            else:
                self.previous_values = values
        return rows

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "next": self._link(FORWARD, self.next_values),
                "previous": self._link(BACKWARD, self.previous_values),
                "page_size": self.limit,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "page_size", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last page.",
                },
                "previous": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The previous page, or null on the first page.",
                },
                "page_size": {"type": "integer", "description": "How many results a full page holds."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque position from the `next` or `previous` link of a page. Omit it for the first page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Results per page, {self.page_size} by default, at most {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": self.page_size},
            },
        ]

    # -- parsing ------------------------------------------------------------------------------------
    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # Digits only: "1.0", " 5" and "" are not the integers the schema promises to accept.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [INVALID_PAGE_SIZE.format(max=self.max_page_size)]})
        return int(raw)

    def _read_cursor(self, request, key_count: int) -> tuple[str, list[Any] | None]:
        """A cursor that is not one of ours (or is for another sort) points to no page: 404, as in DRF."""
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return FORWARD, None
        try:
            payload = signing.loads(raw, salt=CURSOR_SALT)
            direction, fingerprint, tagged = payload["d"], payload["s"], payload["v"]
        except (signing.BadSignature, KeyError, TypeError):
            raise NotFound({self.cursor_query_param: [INVALID_CURSOR]}) from None
        if fingerprint != self.fingerprint:
            raise NotFound({self.cursor_query_param: [STALE_CURSOR]})
        try:
            if direction not in (FORWARD, BACKWARD) or len(tagged) != key_count:
                raise ValueError(direction)
            values = [_decode_value(item) for item in tagged]
        except (KeyError, TypeError, ValueError):
            raise NotFound({self.cursor_query_param: [INVALID_CURSOR]}) from None
        return direction, values

    # -- ordering -----------------------------------------------------------------------------------
    def _keys(self, queryset: QuerySet) -> tuple[list[_Key], dict[str, Any]]:
        query = queryset.query
        ordering = list(query.order_by) or list(query.get_meta().ordering or [])
        keys: list[_Key] = []
        expressions: dict[str, Any] = {}
        unique = False
        pk_names = {"pk", query.get_meta().pk.name}
        for position, item in enumerate(ordering):
            alias = f"{self.alias_prefix}{position}"
            if isinstance(item, str):
                if item == "?" or ("__" in item and item.lstrip("-") not in query.annotations):
                    raise TypeError(f"Keyset pagination cannot page an ordering on {item!r}.")
                descending = item.startswith("-")
                name = item.lstrip("-")
                expression, nulls_last = F(name), not descending
                unique = unique or name in pk_names or self._is_unique_field(query, name)
            elif isinstance(item, OrderBy):
                expression, descending = item.expression, item.descending
                nulls_last = bool(item.nulls_last) if (item.nulls_last or item.nulls_first) else not descending
                if isinstance(expression, F) and (
                    expression.name in pk_names or self._is_unique_field(query, expression.name)
                ):
                    unique = True
            elif isinstance(item, Expression):
                expression, descending, nulls_last = item, False, True
            else:
                raise TypeError(f"Keyset pagination cannot page an ordering on {item!r}.")
            keys.append(_Key(alias, expression, descending, nulls_last))
            expressions[alias] = expression
        if not unique:
            alias = f"{self.alias_prefix}{len(keys)}"
            keys.append(_Key(alias, F("pk"), False, True))
            expressions[alias] = F("pk")
        # Floats are compared as double precision: a real (float4) rank would not equal its own
        # value read back into Python, and the row at the cursor would be repeated or skipped.
        probe = queryset.annotate(**expressions).query.annotations
        for alias, expression in list(expressions.items()):
            if isinstance(probe[alias].output_field, FloatField):
                expressions[alias] = Cast(expression, FloatField())
        return keys, expressions

    @staticmethod
    def _is_unique_field(query, name: str) -> bool:
        if name in query.annotations:
            return False
        try:
            field = query.get_meta().get_field(name)
        except FieldDoesNotExist:  # a related path or an annotation: not a unique column
            return False
        return bool(getattr(field, "unique", False))

    @staticmethod
    def _row_values(row: Any, keys: list[_Key]) -> list[Any]:
        return [getattr(row, key.alias) for key in keys]

    # -- links --------------------------------------------------------------------------------------
    def _link(self, direction: str, values: list[Any] | None) -> str | None:
        if values is None:
            return None
        token = signing.dumps(
            {"d": direction, "s": self.fingerprint, "v": [_encode_value(v) for v in values]},
            salt=CURSOR_SALT,
            compress=True,
        )
        return replace_query_param(self.base_url, self.cursor_query_param, token)
