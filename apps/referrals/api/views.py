"""/api/v1/referrals/: the same services, permissions and access log as the pages, over JSON."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status as http
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from apps.common.openapi import ErrorSerializer, error_responses

from .. import services
from ..access import log_access, log_list, log_refused
from ..downloads import attachment_response
from ..filters import ReferralListFilter
from ..models import AccessLog, Attachment, Priority, Referral, Status
from .serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    EventSerializer,
    MessageSerializer,
    ReferralCreateSerializer,
    ReferralSerializer,
    ReferralUpdateSerializer,
)

UUID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

CONFLICT_RESPONSE = OpenApiResponse(
    response=ErrorSerializer,
    description="The referral is not in a status that allows this, or it changed since you loaded it "
    "(a stale `version`): reload it and decide again.",
)
UNSUPPORTED_BODY = OpenApiResponse(
    response=ErrorSerializer, description="The body is not JSON, form-encoded or multipart (see Content-Type)."
)
WRITE_ERRORS = {**error_responses(400, 401, 403, 404, 429), 409: CONFLICT_RESPONSE, 415: UNSUPPORTED_BODY}
READ_ERRORS = error_responses(401, 403, 404, 429)


class Conflict(APIException):
    status_code = http.HTTP_409_CONFLICT
    default_detail = services.WRONG_STATE
    default_code = "conflict"


class ReferralPagination(CursorPagination):
    page_size = 50
    ordering = ("-created_at", "-id")


def _channel_log(request, **kwargs):
    return log_access(request, channel="api", **kwargs)


def _transition_view(name: str):
    """The POST endpoint of one action of services.TRANSITIONS."""
    serializer_class = services.TRANSITIONS[name].serializer
    service = services.TRANSITIONS[name].service
    path = name.replace("_", "-")

    def transition(self, request, pk=None):
        referral = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = self._run(lambda: service(referral=referral, by=request.user, **serializer.service_kwargs()))
        _channel_log(request, action=AccessLog.Action.TRANSITION, obj=referral, detail=name)
        if name == "re_refer":
            _channel_log(request, action=AccessLog.Action.CREATE, obj=result)
            return Response(ReferralSerializer(result).data, status=http.HTTP_201_CREATED)
        return Response(ReferralSerializer(result).data)

    # The router maps HTTP methods to the function's name: name it before decorating.
    transition.__name__ = name
    routed = action(detail=True, methods=["post"], url_path=path, url_name=path)(transition)
    # extend_schema must wrap the action (action() resets the function's schema kwargs).
    return extend_schema(
        summary=f"{services.TRANSITIONS[name].label} ({name.replace('_', ' ')})",
        request=serializer_class,
        responses={201 if name == "re_refer" else 200: ReferralSerializer, **WRITE_ERRORS},
    )(routed)


@extend_schema_view(
    list=extend_schema(
        summary="Your referrals",
        description="Only the caller's referrals: a GP's own, an oncologist's received (never drafts).",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=Status.values, description="Filter by status."),
            OpenApiParameter("priority", str, many=True, enum=Priority.values, description="Filter by priority."),
        ],
        responses={
            200: ReferralSerializer(many=True),
            **error_responses(400, 401, 403, 429),
            404: OpenApiResponse(response=ErrorSerializer, description="The `cursor` is not one this list gave out."),
        },
    ),
    retrieve=extend_schema(summary="One referral", responses={200: ReferralSerializer, **READ_ERRORS}),
)
class ReferralViewSet(GenericViewSet):
    """Referrals between GPs and oncologists. Token or session authentication; every call is access-logged."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReferralSerializer
    pagination_class = ReferralPagination
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return Referral.objects.visible_to(self.request.user).select_related(
            "oncologist", "referring_gp", "cancer_type", "suggested_colleague"
        )

    def get_object(self):
        """The referral, when the caller may see it; a logged refusal (404) otherwise."""
        try:
            return super().get_object()
        except Http404:
            log_refused(self.request, referral_id=self.kwargs.get(self.lookup_field, ""), channel="api")
            raise

    @staticmethod
    def _run(call):
        """Map the services' two refusals to 403 and 409 in the API's error shape."""
        try:
            return call()
        except services.ReferralConflict as conflict:
            raise Conflict(conflict.message) from conflict
        except services.ReferralPermissionDenied as denied:
            raise PermissionDenied(str(denied) or None) from denied

    def list(self, request):
        filters = ReferralListFilter(request.query_params)
        if not filters.is_valid():
            raise ValidationError(filters.error_lists())
        page = self.paginate_queryset(filters.filter(self.get_queryset()).with_overdue_flag())
        log_list(request, page, channel="api")
        return self.get_paginated_response(ReferralSerializer(page, many=True).data)

    @extend_schema(
        summary="Refer a patient (GPs)",
        request=ReferralCreateSerializer,
        responses={201: ReferralSerializer, **WRITE_ERRORS},
    )
    def create(self, request):
        serializer = ReferralCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        oncologist = services.physician_by_npi(data.pop("oncologist_npi"), field="oncologist_npi")
        options = {"submit": data.pop("submit"), "confirm_duplicate": data.pop("confirm_duplicate")}
        referral = self._run(
            lambda: services.referral_create(by=request.user, oncologist=oncologist, data=data, **options)
        )
        _channel_log(request, action=AccessLog.Action.CREATE, obj=referral)
        return Response(ReferralSerializer(referral).data, status=http.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        referral, opened = services.referral_read(referral=self.get_object(), by=request.user)
        if opened:
            _channel_log(request, action=AccessLog.Action.TRANSITION, obj=referral, detail="open")
        _channel_log(request, action=AccessLog.Action.VIEW, obj=referral)
        return Response(ReferralSerializer(referral).data)

    @extend_schema(
        summary="Change a draft (its GP)",
        request=ReferralUpdateSerializer,
        responses={200: ReferralSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        referral = self.get_object()
        serializer = ReferralUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "version" not in data:
            raise ValidationError({"version": ["This field is required."]})
        version = data.pop("version")
        result = self._run(
            lambda: services.referral_update_draft(referral=referral, by=request.user, version=version, data=data)
        )
        _channel_log(request, action=AccessLog.Action.UPDATE, obj=referral)
        return Response(ReferralSerializer(result).data)

    @extend_schema(
        summary="Delete a draft (its GP)",
        parameters=[OpenApiParameter("version", int, required=True, description="The version you loaded.")],
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request, pk=None):
        referral = self.get_object()
        try:
            version = int(request.query_params.get("version", ""))
        except ValueError as error:
            raise ValidationError({"version": ["A whole number is required."]}) from error
        self._run(lambda: services.referral_delete_draft(referral=referral, by=request.user, version=version))
        _channel_log(request, action=AccessLog.Action.DELETE, obj=referral)
        return Response(status=http.HTTP_204_NO_CONTENT)

    # -- the timeline, messages and attachments

    @extend_schema(summary="The referral's timeline", responses={200: EventSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        referral = self.get_object()
        _channel_log(request, action=AccessLog.Action.VIEW, obj=referral, detail="events")
        return Response(EventSerializer(referral.events.select_related("actor"), many=True).data)

    @extend_schema(
        methods=["GET"], summary="The message thread", responses={200: MessageSerializer(many=True), **READ_ERRORS}
    )
    @extend_schema(
        methods=["POST"],
        summary="Write a message",
        request=MessageSerializer,
        responses={201: MessageSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def messages(self, request, pk=None):
        referral = self.get_object()
        return self._list_or_add(
            request,
            referral,
            rows=referral.messages.select_related("author"),
            shown_as=MessageSerializer,
            parsed_by=MessageSerializer,
            add=lambda data: services.message_create(referral=referral, by=request.user, body=data["body"]),
        )

    @extend_schema(
        methods=["GET"], summary="The attachments", responses={200: AttachmentSerializer(many=True), **READ_ERRORS}
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a PDF, PNG or JPEG (at most 10 MB; the content decides the type)",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attachments(self, request, pk=None):
        referral = self.get_object()
        return self._list_or_add(
            request,
            referral,
            rows=referral.attachments.all(),
            shown_as=AttachmentSerializer,
            parsed_by=AttachmentUploadSerializer,
            add=lambda data: services.attachment_add(referral=referral, by=request.user, upload=data["file"]),
        )

    def _list_or_add(self, request, referral, *, rows, shown_as, parsed_by, add):
        """GET lists a referral's messages or attachments, POST adds one: each logged on the API channel."""
        if request.method == "GET":
            object_type = rows.model._meta.model_name
            _channel_log(request, action=AccessLog.Action.LIST, obj=referral, object_type=object_type)
            return Response(shown_as(rows, many=True).data)
        serializer = parsed_by(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = self._run(lambda: add(serializer.validated_data))
        _channel_log(request, action=AccessLog.Action.CREATE, obj=added)
        return Response(shown_as(added).data, status=http.HTTP_201_CREATED)

    def _attachment(self, pk, attachment_pk):
        referral = self.get_object()
        return get_object_or_404(referral.attachments, pk=attachment_pk)

    @extend_schema(summary="One attachment's details", responses={200: AttachmentSerializer, **READ_ERRORS})
    @action(
        detail=True,
        methods=["get"],
        url_path=f"attachments/(?P<attachment_pk>{UUID_PATTERN})",
        url_name="attachment-detail",
    )
    def attachment_detail(self, request, pk=None, attachment_pk=None):
        attachment = self._attachment(pk, attachment_pk)
        _channel_log(request, action=AccessLog.Action.VIEW, obj=attachment)
        return Response(AttachmentSerializer(attachment).data)

    @extend_schema(
        summary="Download an attachment",
        responses={
            **{
                (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=f"The file: a {label}.")
                for media_type, label in Attachment.Kind.choices
            },
            **READ_ERRORS,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=f"attachments/(?P<attachment_pk>{UUID_PATTERN})/download",
        url_name="attachment-download",
    )
    def attachment_download(self, request, pk=None, attachment_pk=None):
        return attachment_response(request, self._attachment(pk, attachment_pk), channel="api")


# One POST endpoint per action of the state machine, named and routed after it.
for _name in services.TRANSITIONS:
    setattr(ReferralViewSet, _name, _transition_view(_name))
