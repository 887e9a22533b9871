"""Attachments checked by content (yiling.uploads): what is refused and with which message, what is
accepted, how a stored file is served, and the request-size guard that refuses before reading."""

from __future__ import annotations

import zlib

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.test import Client
from django.utils import translation

from yiling.uploads import JPEG, PDF, PNG, AttachmentValidator, active_pdf_content, attachment_response

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf(*objects: bytes) -> bytes:
    """A small PDF with a catalog, one page and ``objects`` added (numbered from 3)."""
    body = [
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n",
    ]
    body += [b"%d 0 obj\n%s\nendobj\n" % (n, o) for n, o in enumerate(objects, start=3)]
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"".join(body) + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


PLAIN_PDF = pdf()
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'

check = AttachmentValidator("票据")


def refusal(name: str, content: bytes, validator: AttachmentValidator = check) -> str:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validator(SimpleUploadedFile(name, content))
    (message,) = refused.value.messages
    assert message.startswith("票据"), message  # the message names the field
    return message


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("fapiao.jpg", JPEG_BYTES, JPEG),
        ("FAPIAO.JPEG", JPEG_BYTES, JPEG),
        ("发票.png", PNG_BYTES, PNG),
        ("scan.pdf", PLAIN_PDF, PDF),
    ],
)
def test_jpeg_png_and_plain_pdf_are_accepted(name, content, kind):
    upload = SimpleUploadedFile(name, content)
    assert check(upload) is kind
    assert upload.read() == content  # left at the start for whoever stores it


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("receipt.png", HTML),
        ("receipt.png", SVG),
        ("receipt.jpg", b"GIF89a\x01\x00\x01\x00"),
        ("receipt.pdf", b"  %PDF-1.4 with something in front"),
        ("receipt.pdf", b""),
        ("receipt.exe", b"MZ\x90\x00"),
    ],
)
def test_content_that_is_not_jpeg_png_or_pdf_is_refused_whatever_the_name(name, content):
    assert "不是 JPG、PNG、PDF" in refusal(name, content)


@pytest.mark.parametrize(
    ("name", "content"), [("receipt.png", JPEG_BYTES), ("receipt.pdf", PNG_BYTES), ("r", PLAIN_PDF)]
)
def test_the_name_must_agree_with_the_content(name, content):
    assert "请改为" in refusal(name, content)


@pytest.mark.parametrize(
    ("payload", "found"),
    [
        (b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>", "JS"),
        (b"<< /OpenAction 4 0 R >>", "OpenAction"),
        (b"<< /AA << /O 4 0 R >> >>", "AA"),
        (b"<< /S /Launch /F (cmd.exe) >>", "Launch"),
        (b"<< /Type /EmbeddedFile /Length 0 >>", "EmbeddedFile"),
        (b"<< /Subtype /RichMedia >>", "RichMedia"),
        (b"<< /XFA 5 0 R >>", "XFA"),
        # The same names written with #xx escapes, as a reader decodes them.
        (b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>", "JS"),
        (b"<< /#4fpen#41ction 4 0 R >>", "OpenAction"),
    ],
)
def test_pdfs_that_act_on_their_own_are_refused(payload, found):
    content = pdf(payload)
    assert active_pdf_content(content) == found
    message = refusal("receipt.pdf", content)
    assert f"/{found}" in message and "PDF" in message


def test_a_script_hidden_in_a_compressed_object_stream_is_found():
    hidden = zlib.compress(b"4 0 << /Type /Action /S /JavaScript /JS (app.alert(1)) >>")
    content = pdf(b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(hidden),
        hidden,
    ))  # fmt: skip
    assert b"JavaScript" not in content
    assert active_pdf_content(content) == "JS"
    refusal("receipt.pdf", content)


def test_an_object_stream_dressed_as_an_image_is_looked_into_all_the_same():
    hidden = zlib.compress(b"4 0 << /OpenAction 5 0 R >>")
    content = pdf(
        b"<< /Type /ObjStm /Subtype /Image /N 1 /First 4 /Filter /FlateDecode >>\nstream\n%s\nendstream" % hidden
    )
    assert active_pdf_content(content) == "OpenAction"


@pytest.mark.parametrize(
    "obj",
    [
        # Streams the check cannot read (a script could sit in there) and an encrypted file.
        b"<< /Type /ObjStm /Filter [/ASCIIHexDecode /FlateDecode] >>\nstream\n789c\nendstream",
        b"<< /Filter /A#53CII85Decode >>\nstream\n<~~>\nendstream",
        b"<< /Filter /LZWDecode >>\nstream\n\x80\nendstream",
        b"<< /Encrypt << /Filter /Standard /V 2 >> >>",
    ],
)
def test_a_pdf_the_check_cannot_see_into_is_refused(obj):
    assert "过于复杂" in refusal("receipt.pdf", pdf(obj))


def test_a_compressed_image_is_not_inflated(monkeypatch):
    monkeypatch.setattr("yiling.uploads.PDF_INFLATE_BUDGET", 1000)
    photo = zlib.compress(b"\0" * 100_000)
    content = pdf(b"<< /Type /XObject /Subtype /Image /Filter /FlateDecode >>\nstream\n%s\nendstream" % photo)
    assert check(SimpleUploadedFile("receipt.pdf", content)) is PDF


def test_a_compressed_page_without_actions_is_accepted():
    page = zlib.compress(b"BT /F1 12 Tf 72 712 Td (Fapiao 100.00) Tj ET")
    content = pdf(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(page), page))
    assert check(SimpleUploadedFile("receipt.pdf", content)) is PDF


def test_a_pdf_whose_streams_inflate_past_the_budget_is_refused(monkeypatch):
    monkeypatch.setattr("yiling.uploads.PDF_INFLATE_BUDGET", 1000)
    bomb = zlib.compress(b"\0" * 100_000)
    content = pdf(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(bomb), bomb))
    assert "过于复杂" in refusal("receipt.pdf", content)


def test_a_file_over_the_limit_is_refused():
    small = AttachmentValidator("票据", max_bytes=100)
    assert "超过" in refusal("big.png", PNG_BYTES + b"\0" * 100, small)


# --- serving -------------------------------------------------------------------------------------


def stored(tmp_path, name: str, content: bytes) -> FieldFile:
    storage = FileSystemStorage(location=tmp_path)
    saved = storage.save(name, ContentFile(content))

    class Field:
        pass

    field = Field()
    field.storage = storage  # type: ignore[attr-defined]
    return FieldFile(None, field, saved)


def served(response) -> bytes:
    content = b"".join(response.streaming_content)
    response.file_to_stream.close()
    return content


def test_a_pdf_is_served_as_a_download_never_sniffed(tmp_path):
    response = attachment_response(stored(tmp_path, "fapiao.pdf", PLAIN_PDF))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert served(response) == PLAIN_PDF


def test_an_image_is_shown_with_the_type_of_its_content_not_its_name(tmp_path):
    response = attachment_response(stored(tmp_path, "photo.png", JPEG_BYTES))
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline;")
    assert served(response) == JPEG_BYTES


def test_a_stored_file_of_no_known_kind_is_only_ever_downloaded(tmp_path):
    # A file stored before uploads were checked by content.
    response = attachment_response(stored(tmp_path, "old.png", HTML))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    served(response)


# --- the request-size guard ----------------------------------------------------------------------


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


@pytest.mark.parametrize("path", ["/admin/login/", "/accounts/login/", "/no-such-page/"])
def test_an_oversized_body_is_refused_with_413_before_it_is_read(path):
    too_big = settings.MAX_REQUEST_BODY_BYTES + 1
    response = Client().generic(
        "POST",
        path,
        b"x",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(too_big),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert response.content.decode() == f"上传的内容过大：最多 {settings.MAX_REQUEST_BODY_BYTES / 1024 / 1024:g} MB。"


@pytest.mark.django_db
def test_a_body_within_the_limit_reaches_the_view():
    response = Client().post("/accounts/login/", {"username": "nobody", "password": "x"})
    assert response.status_code == 200  # the login form again, not 413


def test_the_limit_leaves_room_for_the_largest_upload():
    # Spreadsheets: up to 10 MB; the request carries the form around the file too.
    assert settings.MAX_REQUEST_BODY_BYTES > 10 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
