"""Documents: two-phase presigned upload (create -> POST straight to storage -> confirm), download link.

Limits: the declared size must not exceed ``API_DOCUMENTS_MAX_BYTES`` and the type must be one of
``AllowedContentType`` (models.py). The upload form's policy admits exactly the declared size and type
and expires after ``UPLOAD_EXPIRES_S``; on confirm the stored object must match them again (otherwise it
is deleted and the confirmation is refused, 422), and exactly the version checked is copied to the
document's own key, whose version is recorded and served on download: a file replaced after the check is
never the one served. Clients may upload to their own cases.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy import func, select
from starlette.responses import Response

from .access import visible
from .auth import Principal
from .db import first_row, one_row
from .deps import CaseId, DbDep, IdempotencyDep, PrincipalDep
from .jsonutil import json_response, plain
from .limits import DOCUMENTS_PER_CASE
from .models import Document, DocumentCreate, DocumentPage, DocumentUpload, DownloadLink
from .problems import AUTH, ProblemError, problem_type, responses
from .replies import reply
from .schema import cases, documents
from .storage import Storage, UploadChanged, upload_key
from .sublists import CaseRows, add_to_case, adds_to_case, case_list

router = APIRouter(prefix="/api", tags=["documents"])
UPLOAD_EXPIRES_S = 300
DOWNLOAD_EXPIRES_S = 300
PRIVATE = (
    "storage_key",
    "version_id",
)  # where and which version the file is: nobody's business but the API's
DOC_COLUMNS = [c for c in documents.c if c.name not in PRIVATE]
DocId = Annotated[uuid.UUID, Path(description="Document id")]


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def _plain(row: Any) -> dict[str, Any]:
    return plain(row, *PRIVATE)


async def _load_document(db: Any, p: Any, doc_id: uuid.UUID) -> Any:
    async with db.read() as conn:
        row = await first_row(
            conn,
            select(documents)
            .join(cases, cases.c.id == documents.c.case_id)
            .where(documents.c.id == doc_id, visible(p), cases.c.deleted_at.is_(None)),
        )
    if row is None:
        raise ProblemError(404, "no such document", type_=problem_type("document-not-found"))
    return row


@adds_to_case(
    router,
    "/cases/{case_id}/documents",
    DocumentUpload,
    "createDocumentUpload",
    summary="Start an upload: returns a presigned form to POST the file with (fields first, the file last)",
    also=(413,),
)
async def create_upload(
    case_id: CaseId, body: DocumentCreate, request: Request, db: DbDep, p: PrincipalDep, idem: IdempotencyDep
) -> Response:
    if body.size_bytes > db.settings.documents_max_bytes:
        raise ProblemError(
            413,
            f"documents are limited to {db.settings.documents_max_bytes} bytes",
            type_=problem_type("document-too-large"),
        )
    doc_id = uuid.uuid4()
    key = f"cases/{case_id}/{doc_id}"
    storage = _storage(request)
    async with db.transaction() as conn:
        values = {"id": doc_id, "uploaded_by": p.sub, "storage_key": key, **body.model_dump()}
        row = await add_to_case(
            conn,
            p,
            case_id,
            documents,
            values,
            cap=DOCUMENTS_PER_CASE,
            what="documents",
            returning=DOC_COLUMNS,
        )
        target = await storage.upload_target(key, body.content_type, body.size_bytes, UPLOAD_EXPIRES_S)
        upload = {**target, "expires_in_s": UPLOAD_EXPIRES_S}
        return await reply(conn, idem, {"document": _plain(row), "upload": upload}, status=201)


@router.post(
    "/documents/{document_id}/confirm",
    operation_id="confirmDocument",
    response_model=Document,
    responses=responses(*AUTH, 404, 409, 422),
    summary="Finish an upload: the stored object must match the declared size and type",
)
async def confirm(
    document_id: DocId, request: Request, db: DbDep, p: PrincipalDep, idem: IdempotencyDep
) -> Response:
    row = await _load_document(db, p, document_id)
    if row["status"] == "available":
        return json_response(_plain(row))
    if row["uploaded_by"] != p.sub:
        raise ProblemError(403, "only the uploader may confirm", type_=problem_type("forbidden"))
    storage = _storage(request)
    uploaded = upload_key(row["storage_key"])
    stored = await storage.stat(uploaded)
    if stored is None:
        raise ProblemError(409, "nothing was uploaded yet", type_=problem_type("upload-missing"))
    if stored.size_bytes != row["size_bytes"] or (stored.content_type or "") != row["content_type"]:
        await storage.delete(uploaded)
        raise ProblemError(
            422,
            f"uploaded {stored.size_bytes} bytes of {stored.content_type}, declared {row['size_bytes']} bytes"
            f" of {row['content_type']}; upload again",
            type_=problem_type("upload-mismatch"),
        )
    try:
        version_id = await storage.keep(row["storage_key"], stored)
    except UploadChanged:
        raise ProblemError(
            409,
            "the upload changed while it was checked; confirm again",
            type_=problem_type("upload-changed"),
        ) from None
    async with db.transaction() as conn:
        new = await one_row(
            conn,
            documents.update()
            .where(documents.c.id == document_id)
            .values(status="available", confirmed_at=func.clock_timestamp(), version_id=version_id)
            .returning(*DOC_COLUMNS),
        )
        return await reply(conn, idem, _plain(new))


@case_list(router, "/cases/{case_id}/documents", DocumentPage, "listDocuments")
def _documents(case_id: uuid.UUID, p: Principal) -> CaseRows:
    """Documents of a case, oldest first"""
    rows = select(*DOC_COLUMNS).where(documents.c.case_id == case_id)
    return CaseRows(rows, key=(documents.c.created_at, documents.c.id))


@router.get(
    "/documents/{document_id}/download",
    operation_id="getDocumentDownload",
    response_model=DownloadLink,
    responses=responses(*AUTH, 404, 409, 422),
    summary="A short-lived presigned link to the file",
)
async def download(document_id: DocId, request: Request, db: DbDep, p: PrincipalDep) -> Response:
    row = await _load_document(db, p, document_id)
    if row["status"] != "available":
        raise ProblemError(409, "the upload is not confirmed yet", type_=problem_type("document-pending"))
    url = await _storage(request).download_url(
        row["storage_key"], row["version_id"], row["filename"], DOWNLOAD_EXPIRES_S
    )
    return json_response({"url": url, "expires_in_s": DOWNLOAD_EXPIRES_S})
