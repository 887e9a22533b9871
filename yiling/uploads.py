"""Uploaded attachments (receipts, and every later attachment), checked by what they hold, not by
their names, and served so a browser never runs them; and the request-size guard.

A file's name is whatever the sender typed: an HTML page or an SVG drawing named ``.png`` would
otherwise be stored and later served from the portal's own address. :class:`AttachmentValidator`
looks at the bytes: a JPEG, PNG or PDF signature at the start, a name that agrees with it, at most
5 MB, and for a PDF none of the names that make a reader act on its own (scripts, launch and open
actions, embedded files, forms). The same validator serves a form field and the service behind it,
so the admin and the portal both go through it. :func:`attachment_response` serves a stored file
with the type its content shows, PDFs as downloads.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: The largest attachment (a photograph or scan of a receipt).
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """A kind of file the portal accepts, known by the signature its content starts with."""

    label: str
    extensions: tuple[str, ...]
    content_type: str
    signature: bytes
    #: Shown in the browser (images) or only ever downloaded (anything a browser or reader may run).
    inline: bool


JPEG = Kind("JPG", (".jpg", ".jpeg"), "image/jpeg", b"\xff\xd8\xff", inline=True)
PNG = Kind("PNG", (".png",), "image/png", b"\x89PNG\r\n\x1a\n", inline=True)
PDF = Kind("PDF", (".pdf",), "application/pdf", b"%PDF-", inline=False)
#: What a receipt (and any attachment unless it says otherwise) may be.
ATTACHMENT_KINDS = (JPEG, PNG, PDF)

#: PDF names that make a reader run or open something by itself: scripts, actions on open, on
#: page or field events, launching programs, embedded files, Flash/multimedia and XFA forms.
ACTIVE_PDF_NAMES = frozenset(
    {"JavaScript", "JS", "OpenAction", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA"}
)
#: A PDF name: a slash and the regular characters after it (``#xx`` stands for a byte).
_PDF_NAME_RE = re.compile(rb"/([^\s/\[\]<>(){}%]*)")
_PDF_HEX_RE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM_RE = re.compile(rb"(?<!end)stream\r?\n")
#: Stream filters the check cannot see through; a stream other than an image may not use them.
OPAQUE_PDF_FILTERS = frozenset(
    {"ASCIIHexDecode", "AHx", "ASCII85Decode", "A85", "LZWDecode", "LZW", "RunLengthDecode", "RL", "Crypt"}
)
#: How much the compressed streams of one PDF may inflate to while they are checked.
PDF_INFLATE_BUDGET = 20 * 1024 * 1024


def kind_of(head: bytes, kinds: Iterable[Kind] = ATTACHMENT_KINDS) -> Kind | None:
    """The kind whose signature ``head`` (the file's first bytes) starts with, if any."""
    return next((kind for kind in kinds if head.startswith(kind.signature)), None)


def _pdf_names(data: bytes) -> set[str]:
    names = set()
    for match in _PDF_NAME_RE.finditer(data):
        raw = _PDF_HEX_RE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        names.add(raw.decode("latin-1"))
    return names


class TooComplex(Exception):
    """The PDF cannot be checked: encrypted, streams in filters the check cannot read, or streams
    that inflate past the budget."""


def _inflated_streams(data: bytes) -> Iterable[bytes]:
    """Every Flate-compressed stream of the PDF that is not an image, inflated (object streams hide
    dictionaries there, out of sight of a plain scan)."""
    budget = PDF_INFLATE_BUDGET
    for match in _PDF_STREAM_RE.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        dictionary = data[max(0, data.rfind(b"obj", 0, match.start())) : match.start()][-4096:]
        names = _pdf_names(dictionary)
        if "Image" in names and "ObjStm" not in names:
            continue  # a picture: no dictionaries in there
        if names & OPAQUE_PDF_FILTERS:
            raise TooComplex
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[start:end], budget + 1)
        except zlib.error:
            continue  # not Flate (or damaged): the plain scan is all there is
        budget -= len(inflated)
        if budget < 0 or inflater.unconsumed_tail:
            raise TooComplex
        yield inflated


def active_pdf_content(data: bytes) -> str | None:
    """The first name in ``data`` (a PDF) that makes a reader act by itself, or None. Names are
    decoded (``/J#61vaScript`` is ``/JavaScript``), and Flate-compressed streams (object streams hide
    dictionaries there) are looked into. ``TooComplex`` when that cannot be done: an encrypted PDF,
    a stream other than an image in another filter, streams inflating past the budget."""
    names = _pdf_names(data)
    found = sorted(names & ACTIVE_PDF_NAMES)
    if found:
        return found[0]
    if "Encrypt" in names:
        raise TooComplex
    for inflated in _inflated_streams(data):
        found = sorted(_pdf_names(inflated) & ACTIVE_PDF_NAMES)
        if found:
            return found[0]
    return None


def _read_all(upload: Any, limit: int) -> bytes:
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    return data


@deconstructible
class AttachmentValidator:
    """Checks an uploaded file by its content; the messages name the field (``label``).

    Use it as a form field's validator and call it in the service that stores the file, so every
    way in (admin, portal, import, API) is checked by the same rules.
    """

    def __init__(
        self, label: Any, *, kinds: tuple[Kind, ...] = ATTACHMENT_KINDS, max_bytes: int = ATTACHMENT_MAX_BYTES
    ) -> None:
        self.label = label
        self.kinds = kinds
        self.max_bytes = max_bytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AttachmentValidator) and (self.label, self.kinds, self.max_bytes) == (
            other.label,
            other.kinds,
            other.max_bytes,
        )

    def __call__(self, upload: Any) -> Kind:
        """The file's kind; ``ValidationError`` with a message naming the field when it is refused."""
        field = str(self.label)
        kinds = "、".join(kind.label for kind in self.kinds)
        size = getattr(upload, "size", None)
        if size is not None and size > self.max_bytes:
            raise ValidationError(
                _("%(field)s: the file is larger than %(size)s MB.")
                % {"field": field, "size": f"{self.max_bytes / 1024 / 1024:g}"},
                code="too_large",
            )
        data = _read_all(upload, self.max_bytes)
        if len(data) > self.max_bytes:
            raise ValidationError(
                _("%(field)s: the file is larger than %(size)s MB.")
                % {"field": field, "size": f"{self.max_bytes / 1024 / 1024:g}"},
                code="too_large",
            )
        kind = kind_of(data[:16], self.kinds)
        if kind is None:
            raise ValidationError(
                _("%(field)s: the file's content is not %(kinds)s (whatever its name says).")
                % {"field": field, "kinds": kinds},
                code="wrong_content",
            )
        suffix = Path(getattr(upload, "name", "") or "").suffix.lower()
        if suffix not in kind.extensions:
            raise ValidationError(
                _("%(field)s: the file holds a %(kind)s but is named “%(suffix)s”; name it %(extensions)s.")
                % {"field": field, "kind": kind.label, "suffix": suffix, "extensions": "、".join(kind.extensions)},
                code="wrong_extension",
            )
        if kind is PDF:
            try:
                active = active_pdf_content(data)
            except TooComplex as exc:
                raise ValidationError(
                    _(
                        "%(field)s: the PDF is too complex to be checked: print it to a plain PDF or upload a "
                        "photograph."
                    )
                    % {"field": field},
                    code="complex_pdf",
                ) from exc
            if active:
                raise ValidationError(
                    _(
                        "%(field)s: the PDF holds scripts, actions, embedded files or forms (/%(name)s), "
                        "which are not accepted: print it to a plain PDF or upload a photograph."
                    )
                    % {"field": field, "name": active},
                    code="active_pdf",
                )
        return kind


def attachment_response(stored: Any) -> FileResponse:
    """A stored attachment (a ``FieldFile``) as the response that serves it: the content type its
    content shows (not its name), images inline, PDFs and anything else as downloads, never sniffed,
    never cached, and sandboxed should a browser render it anyway. ``FileNotFoundError`` when the
    file is gone."""
    handle = stored.open("rb")
    head = handle.read(16)
    handle.seek(0)
    kind = kind_of(head)
    response = FileResponse(
        handle,
        as_attachment=kind is None or not kind.inline,
        filename=Path(stored.name).name,
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- request size ----------------------------------------------------------------------------------


#: Shown when a request body is refused for its size.
TOO_LARGE_MESSAGE = gettext_lazy("The upload is too large: at most %(size)s MB.")


class RequestSizeLimitMiddleware:
    """Answers 413 to a request whose declared body is larger than ``MAX_REQUEST_BODY_BYTES``,
    before anything reads the body (Django itself would read a file upload to the end, spooling it
    to disk, before any form could refuse it)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            message = TOO_LARGE_MESSAGE % {"size": f"{limit / 1024 / 1024:g}"}
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
