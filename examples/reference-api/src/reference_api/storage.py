"""Document storage behind one interface: S3 (presigned URLs) and a local directory for development.

Uploads and downloads never pass through the API in production: the API hands out a presigned PUT
(the signed Content-Type must match) and later a presigned GET. The local backend imitates that with
HMAC-signed, expiring URLs to endpoints of the API itself, which exist outside production only
(:mod:`reference_api.dev.storage`).
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


@dataclass(frozen=True)
class StoredObject:
    size_bytes: int
    content_type: str | None


class Storage(Protocol):
    async def upload_target(self, key: str, content_type: str, expires_s: int) -> dict[str, Any]: ...

    async def download_url(self, key: str, filename: str, expires_s: int) -> str: ...

    async def stat(self, key: str) -> StoredObject | None: ...

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

    async def upload_target(self, key: str, content_type: str, expires_s: int) -> dict[str, Any]:
        url = await asyncio.to_thread(
            self.client.generate_presigned_url,
            "put_object",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_s,
        )
        return {"method": "PUT", "url": url, "headers": {"Content-Type": content_type}}

    async def download_url(self, key: str, filename: str, expires_s: int) -> str:
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        url: str = await asyncio.to_thread(
            self.client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition},
            ExpiresIn=expires_s,
        )
        return url

    async def stat(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            head = await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(int(head["ContentLength"]), head.get("ContentType"))

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

    async def upload_target(self, key: str, content_type: str, expires_s: int) -> dict[str, Any]:
        return {
            "method": "PUT",
            "url": self._url("put", key, expires_s),
            "headers": {"Content-Type": content_type},
        }

    async def download_url(self, key: str, filename: str, expires_s: int) -> str:
        return self._url("get", key, expires_s)

    async def stat(self, key: str) -> StoredObject | None:
        path = self.path(key)
        if not path.exists():
            return None
        meta = path.with_suffix(".type")
        content_type = meta.read_text() if meta.exists() else None
        return StoredObject(path.stat().st_size, content_type)

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
