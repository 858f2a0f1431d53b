"""Document storage behind one interface: S3 (presigned requests) and a local directory for development.

Uploads and downloads never pass through the API in production. An upload is a presigned POST whose
policy fixes the key (under ``uploads/``), the content type and the exact size (``content-length-range``)
and expires within minutes. Confirming it copies exactly the version that was checked (its version id in a
versioned bucket, else ``CopySourceIfMatch`` on its ETag) to the document's own key, which only the API
writes, and records the copy's version; downloads are presigned GETs of that version. What is never
confirmed stays under ``uploads/``, which a lifecycle rule of the bucket expires (infra/reference_stack.py).

The local backend imitates all of that with HMAC-signed, expiring forms and links to endpoints of the
API itself, which exist outside production only (:mod:`reference_api.dev.storage`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from .settings import Settings

LOCAL_STORAGE_PATH = "/api/dev/storage"
"""Where the local backend's links point (the routes are in :mod:`reference_api.dev.storage`)."""


UPLOAD_PREFIX = "uploads/"
"""Where uploads land until they are confirmed; unconfirmed ones expire there (a lifecycle rule)."""


def upload_key(key: str) -> str:
    return UPLOAD_PREFIX + key


@dataclass(frozen=True)
class StoredObject:
    size_bytes: int
    content_type: str | None
    etag: str | None = None
    version_id: str | None = None


class UploadChanged(Exception):
    """The upload was replaced between the check and the copy: check again."""


class Storage(Protocol):
    async def upload_target(
        self, key: str, content_type: str, size_bytes: int, expires_s: int
    ) -> dict[str, Any]:
        """A form to POST the file with: ``method`` (POST), ``url``, ``fields``; the file is the last part."""
        ...

    async def stat(self, key: str) -> StoredObject | None: ...

    async def keep(self, key: str, checked: StoredObject) -> str | None:
        """Copy the checked upload (``upload_key(key)``) to ``key``; returns the copy's version id."""
        ...

    async def download_url(self, key: str, version_id: str | None, filename: str, expires_s: int) -> str: ...

    async def delete(self, key: str) -> None: ...


class S3Storage:
    def __init__(self, bucket: str, region: str, client: Any = None) -> None:
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                region_name=region,
                config=Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 5}),
            )
        self.bucket = bucket
        self.client = client

    async def upload_target(
        self, key: str, content_type: str, size_bytes: int, expires_s: int
    ) -> dict[str, Any]:
        post: dict[str, Any] = await asyncio.to_thread(
            self.client.generate_presigned_post,
            self.bucket,
            upload_key(key),
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", size_bytes, size_bytes],
            ],
            ExpiresIn=expires_s,
        )
        return {"method": "POST", "url": post["url"], "fields": post["fields"]}

    async def stat(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            head = await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(
            int(head["ContentLength"]), head.get("ContentType"), head.get("ETag"), head.get("VersionId")
        )

    async def keep(self, key: str, checked: StoredObject) -> str | None:
        from botocore.exceptions import ClientError

        source: dict[str, Any] = {"Bucket": self.bucket, "Key": upload_key(key)}
        if checked.version_id:  # a versioned bucket (the reference deployment's): exactly that version
            source["VersionId"] = checked.version_id
        try:
            copied = await asyncio.to_thread(
                self.client.copy_object,
                Bucket=self.bucket,
                Key=key,
                CopySource=source,
                CopySourceIfMatch=checked.etag or "*",
                MetadataDirective="COPY",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "412",
                "NoSuchKey",
                "NoSuchVersion",
                "404",
            ):
                raise UploadChanged from exc
            raise
        version: str | None = copied.get("VersionId")
        return version

    async def download_url(self, key: str, version_id: str | None, filename: str, expires_s: int) -> str:
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": disposition,
        }
        if version_id:
            params["VersionId"] = version_id
        url: str = await asyncio.to_thread(
            self.client.generate_presigned_url, "get_object", Params=params, ExpiresIn=expires_s
        )
        return url

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)


class LocalStorage:
    """Files under a directory; URLs point at the API's own development endpoints, HMAC-signed."""

    def __init__(self, directory: str | Path, secret: bytes) -> None:
        self.root = Path(directory)
        self.secret = secret

    def path(self, key: str) -> Path:
        safe = key.replace("/", "_")
        return self.root / safe

    def sign(self, action: str, key: str, expires: int) -> str:
        mac = hmac.new(self.secret, f"{action}\n{key}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def verify(self, action: str, key: str, expires: int, signature: str) -> bool:
        return expires >= time.time() and hmac.compare_digest(self.sign(action, key, expires), signature)

    def _url(self, action: str, key: str, expires_s: int) -> str:
        expires = int(time.time()) + expires_s
        sig = self.sign(action, key, expires)
        query = f"action={action}&expires={expires}&sig={sig}"
        return f"{LOCAL_STORAGE_PATH}/{quote(key, safe='')}?{query}"

    @staticmethod
    def post_action(content_type: str, size_bytes: int) -> str:
        """What a local upload form's signature covers besides key and expiry: the type and exact size."""
        return f"post {content_type} {size_bytes}"

    async def upload_target(
        self, key: str, content_type: str, size_bytes: int, expires_s: int
    ) -> dict[str, Any]:
        expires = int(time.time()) + expires_s
        target = upload_key(key)
        sig = self.sign(self.post_action(content_type, size_bytes), target, expires)
        fields = {"key": target, "Content-Type": content_type, "expires": str(expires), "signature": sig}
        return {"method": "POST", "url": LOCAL_STORAGE_PATH, "fields": fields}

    async def stat(self, key: str) -> StoredObject | None:
        path = self.path(key)
        if not path.exists():
            return None
        meta = path.with_suffix(".type")
        content_type = meta.read_text() if meta.exists() else None
        data = path.read_bytes()
        return StoredObject(len(data), content_type, hashlib.sha256(data).hexdigest())

    async def keep(self, key: str, checked: StoredObject) -> str | None:
        stored = await self.stat(upload_key(key))
        if stored is None or stored.etag != checked.etag:
            raise UploadChanged
        self.write(key, self.path(upload_key(key)).read_bytes(), stored.content_type)
        return stored.etag

    async def download_url(self, key: str, version_id: str | None, filename: str, expires_s: int) -> str:
        return self._url("get", key, expires_s)

    async def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
        self.path(key).with_suffix(".type").unlink(missing_ok=True)

    def write(self, key: str, data: bytes, content_type: str | None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.path(key).write_bytes(data)
        if content_type:
            self.path(key).with_suffix(".type").write_text(content_type)


def build_storage(settings: Settings) -> Storage:
    if settings.documents_backend == "s3":
        assert settings.documents_bucket
        return S3Storage(settings.documents_bucket, settings.aws_region)
    return LocalStorage(settings.documents_dir, settings.cursor_secret.get_secret_value().encode())
