"""Documents: two-phase upload through the local backend, limits, and the S3 backend against moto."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from reference_api.storage import S3Storage

pytestmark = pytest.mark.anyio
PDF = b"%PDF-1.7\n" + b"x" * 100


@pytest.fixture
async def case_id(client: httpx.AsyncClient, auth: Any) -> str:
    for sub, role in (("max", "manager"), ("carla", "client"), ("cole", "client")):
        await client.get("/api/me", headers=auth(sub, role))
    r = await client.post("/api/cases", json={"title": "contract"}, headers=auth("carla", "client"))
    cid: str = r.json()["id"]
    return cid


async def _post(
    client: httpx.AsyncClient, upload: dict[str, Any], data: bytes, **over: str
) -> httpx.Response:
    """The browser's multipart POST: the form's fields as given (or changed), then the file."""
    return await client.post(upload["url"], data={**upload["fields"], **over}, files={"file": ("f", data)})


async def _start(client: httpx.AsyncClient, h: dict[str, str], cid: str, **over: Any) -> httpx.Response:
    body = {"filename": "contract.pdf", "content_type": "application/pdf", "size_bytes": len(PDF), **over}
    return await client.post(f"/api/cases/{cid}/documents", json=body, headers=h)


async def test_two_phase_upload_and_download(client: httpx.AsyncClient, auth: Any, case_id: str) -> None:
    carla = auth("carla", "client")
    r = await _start(client, carla, case_id)
    assert r.status_code == 201, r.text
    doc, upload = r.json()["document"], r.json()["upload"]
    assert doc["status"] == "pending"
    assert upload["method"] == "POST"
    assert upload["expires_in_s"] == 300
    # Not uploaded yet: confirm refuses, download refuses.
    assert (await client.post(f"/api/documents/{doc['id']}/confirm", headers=carla)).status_code == 409
    assert (await client.get(f"/api/documents/{doc['id']}/download", headers=carla)).status_code == 409
    # The form admits exactly the declared size and type.
    assert (await _post(client, upload, PDF + b"x")).status_code == 403
    assert (await _post(client, upload, PDF, **{"Content-Type": "text/plain"})).status_code == 403
    assert (await _post(client, upload, PDF)).status_code == 204
    confirmed = await client.post(f"/api/documents/{doc['id']}/confirm", headers=carla)
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "available"
    link = (await client.get(f"/api/documents/{doc['id']}/download", headers=carla)).json()
    got = await client.get(link["url"])
    assert got.status_code == 200
    assert got.content == PDF
    listed = await client.get(f"/api/cases/{case_id}/documents", headers=auth("max", "manager"))
    assert [d["id"] for d in listed.json()["items"]] == [doc["id"]]
    # Someone else's case: invisible.
    assert (
        await client.get(f"/api/documents/{doc['id']}/download", headers=auth("cole", "client"))
    ).status_code == 404


async def test_upload_that_does_not_match_its_declaration_is_refused(
    client: httpx.AsyncClient, auth: Any, case_id: str
) -> None:
    carla = auth("carla", "client")
    r = (await _start(client, carla, case_id)).json()
    app = client._transport.app  # type: ignore[attr-defined]  # the fixture's ASGITransport
    # Something else arrived than was declared (the local form refuses that; S3 would too, but the
    # check at confirm does not rely on it).
    app.state.storage.write(r["upload"]["fields"]["key"], PDF + b"more", "application/pdf")
    bad = await client.post(f"/api/documents/{r['document']['id']}/confirm", headers=carla)
    assert bad.status_code == 422
    assert bad.json()["type"] == "urn:reference-api:problem:upload-mismatch"
    # The stray object is gone: a retry must upload again.
    again = await client.post(f"/api/documents/{r['document']['id']}/confirm", headers=carla)
    assert again.status_code == 409


async def test_limits_on_size_and_type(client: httpx.AsyncClient, auth: Any, case_id: str, app: Any) -> None:
    carla = auth("carla", "client")
    too_big = await _start(client, carla, case_id, size_bytes=app.state.settings.documents_max_bytes + 1)
    assert too_big.status_code == 413
    exe = await _start(client, carla, case_id, content_type="application/x-msdownload", filename="a.exe")
    assert exe.status_code == 422
    slash = await _start(client, carla, case_id, filename="../etc/passwd")
    assert slash.status_code == 422


async def test_tampered_storage_links_are_refused(client: httpx.AsyncClient, auth: Any, case_id: str) -> None:
    r = (await _start(client, auth("carla", "client"), case_id)).json()
    forged = await _post(client, r["upload"], PDF, signature="x" + r["upload"]["fields"]["signature"])
    assert forged.status_code == 403
    elsewhere = await _post(client, r["upload"], PDF, key="cases/other")
    assert elsewhere.status_code == 403


def test_s3_backend_against_moto() -> None:
    import asyncio
    import json
    from base64 import b64decode

    import boto3
    from moto import mock_aws
    from reference_api.storage import UploadChanged, upload_key

    async def scenario(storage: S3Storage, client: Any) -> None:
        target = await storage.upload_target("cases/c/d", "application/pdf", len(PDF), 300)
        assert target["method"] == "POST"
        fields = target["fields"]
        assert fields["key"] == "uploads/cases/c/d" == upload_key("cases/c/d")
        assert fields["Content-Type"] == "application/pdf"
        policy = json.loads(b64decode(fields["policy"]))
        conditions = policy["conditions"]
        assert ["content-length-range", len(PDF), len(PDF)] in conditions  # the exact declared size
        assert {"Content-Type": "application/pdf"} in conditions
        assert {"key": "uploads/cases/c/d"} in conditions
        assert {"bucket": "docs"} in conditions
        expires = dt.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        assert 290 <= (expires - dt.datetime.now(dt.timezone.utc)).total_seconds() <= 300
        assert await storage.stat("uploads/cases/c/d") is None
        checked = client.put_object(
            Bucket="docs", Key="uploads/cases/c/d", Body=PDF, ContentType="application/pdf"
        )
        stored = await storage.stat("uploads/cases/c/d")
        assert stored is not None
        assert (stored.size_bytes, stored.content_type, stored.etag) == (
            len(PDF),
            "application/pdf",
            checked["ETag"],
        )
        assert stored.version_id == checked["VersionId"]
        # Replaced after the check: the copy still takes the version that was checked.
        client.put_object(
            Bucket="docs", Key="uploads/cases/c/d", Body=b"swapped", ContentType="application/pdf"
        )
        version = await storage.keep("cases/c/d", stored)
        assert version is not None
        client.put_object(Bucket="docs", Key="cases/c/d", Body=b"later", ContentType="application/pdf")
        url = await storage.download_url("cases/c/d", version, "contrat é.pdf", 300)
        query = parse_qs(urlsplit(url).query)
        assert query["versionId"] == [version]  # the kept version, not the newest
        assert query["response-content-disposition"][0].startswith("attachment")
        got = client.get_object(Bucket="docs", Key="cases/c/d", VersionId=version)
        assert got["Body"].read() == PDF
        # The checked version gone: nothing is kept.
        client.delete_object(Bucket="docs", Key="uploads/cases/c/d", VersionId=checked["VersionId"])
        with pytest.raises(UploadChanged):
            await storage.keep("cases/c/d", stored)
        await storage.delete("cases/c/d")
        assert await storage.stat("cases/c/d") is None

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="docs")
        client.put_bucket_versioning(Bucket="docs", VersioningConfiguration={"Status": "Enabled"})
        # The storage builds its own client, configured as in production (SigV4, standard retries).
        asyncio.run(scenario(S3Storage("docs", "us-east-1"), client))
