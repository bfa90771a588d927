"""S3-compatible profiles: ``moto`` (the local moto server) and ``s3`` (MinIO, AWS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow.fs as pafs

from lake.config import Secret
from lake.storage import uris
from lake.storage.errors import BucketNotFoundError, StorageError, StorageUnreachableError
from lake.storage.translate import from_botocore, storage_errors

__all__ = ["S3AFixes", "S3Profile"]

# hadoop-aws 3.3.1 on Hadoop 3.5: 3.5's defaults are strings like "60s" that 3.3.1 parses as
# numbers, and its default credential chain names SDK-v2 classes (see RECIPES.md).
S3AFixes: dict[str, str] = {
    "fs.s3a.threads.keepalivetime": "60",
    "fs.s3a.connection.establish.timeout": "30000",
    "fs.s3a.connection.timeout": "200000",
    "fs.s3a.multipart.purge.age": "86400",
    "fs.s3a.connection.ttl": "300000",
    "fs.s3a.retry.interval": "500",
    "fs.s3a.retry.throttle.interval": "100",
    "fs.s3a.connection.request.timeout": "0",
    "fs.s3a.connection.acquisition.timeout": "60000",
    "fs.s3a.connection.idle.time": "60000",
    "fs.s3a.multipart.size": "67108864",
    "fs.s3a.block.size": "33554432",
    "fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
}


@dataclass(frozen=True, repr=False)
class S3Profile:
    """A lake in a bucket of any S3-compatible endpoint."""

    name: str
    lake_uri: str
    endpoint_url: str | None
    region: str
    access_key_id: str | None
    secret_access_key: Secret | None = field(default=None)
    session_token: Secret | None = field(default=None)
    path_style: bool = True
    kind: str = "s3"

    def __post_init__(self) -> None:
        if not uris.is_s3(self.lake_uri):
            raise StorageError(f"profile {self.name!r}: lake must be an s3:// URI, got {self.lake_uri!r}")
        object.__setattr__(self, "lake_uri", uris.to_native(self.lake_uri).rstrip("/"))

    @property
    def bucket(self) -> str:
        return uris.split_s3(self.lake_uri)[0]

    @property
    def allow_http(self) -> bool:
        return bool(self.endpoint_url and self.endpoint_url.startswith("http://"))

    def _secret(self) -> str | None:
        return self.secret_access_key.reveal() if self.secret_access_key else None

    def spark_conf(self) -> dict[str, str]:
        conf = {f"spark.hadoop.{k}": v for k, v in S3AFixes.items()}
        if self.endpoint_url:
            conf["spark.hadoop.fs.s3a.endpoint"] = self.endpoint_url
            conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(not self.allow_http).lower()
        conf["spark.hadoop.fs.s3a.endpoint.region"] = self.region
        conf["spark.hadoop.fs.s3a.path.style.access"] = str(self.path_style).lower()
        if self.access_key_id:
            conf["spark.hadoop.fs.s3a.access.key"] = self.access_key_id
        secret = self._secret()
        if secret:
            conf["spark.hadoop.fs.s3a.secret.key"] = secret
        if self.session_token:
            conf["spark.hadoop.fs.s3a.session.token"] = self.session_token.reveal()
            conf["spark.hadoop.fs.s3a.aws.credentials.provider"] = (
                "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
            )
        return conf

    def storage_options(self) -> dict[str, str]:
        opts = {"AWS_REGION": self.region}
        if self.endpoint_url:
            opts["AWS_ENDPOINT_URL"] = self.endpoint_url
        if self.allow_http:
            opts["AWS_ALLOW_HTTP"] = "true"
        if self.access_key_id:
            opts["AWS_ACCESS_KEY_ID"] = self.access_key_id
        secret = self._secret()
        if secret:
            opts["AWS_SECRET_ACCESS_KEY"] = secret
        if self.session_token:
            opts["AWS_SESSION_TOKEN"] = self.session_token.reveal()
        if not self.path_style:
            opts["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] = "true"
        return opts

    def boto3_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if self.access_key_id:
            kwargs["aws_access_key_id"] = self.access_key_id
        secret = self._secret()
        if secret:
            kwargs["aws_secret_access_key"] = secret
        if self.session_token:
            kwargs["aws_session_token"] = self.session_token.reveal()
        return kwargs

    def task_spec(self) -> dict[str, Any]:
        return {
            "kind": "s3",
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self._secret(),
            "session_token": self.session_token.reveal() if self.session_token else None,
            "path_style": self.path_style,
        }

    def filesystem(self) -> pafs.FileSystem:
        return filesystem_from_spec(self.task_spec())

    def fs_path(self, uri: str) -> str:
        bucket, key = uris.split_s3(self.resolve(uri))
        return f"{bucket}/{key}" if key else bucket

    def resolve(self, path: str) -> str:
        native = uris.to_native(path)
        if uris.is_s3(native):
            return native.rstrip("/")
        if native.startswith("/"):
            raise StorageError(
                f"{path}: a local path cannot be used with profile {self.name!r} (lake {self.lake_uri})"
            )
        return uris.join(self.lake_uri, native)

    def to_spark_uri(self, uri: str) -> str:
        return uris.to_spark(self.resolve(uri))

    def to_native_uri(self, uri: str) -> str:
        return self.resolve(uri)

    def client(self, service: str = "s3") -> Any:
        import boto3
        from botocore.config import Config

        cfg = Config(
            s3={"addressing_style": "path" if self.path_style else "virtual"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        return boto3.client(service, config=cfg, **self.boto3_kwargs())

    def ensure_lake(self) -> None:
        problem = self.diagnose(self.lake_uri)
        if isinstance(problem, BucketNotFoundError):
            kwargs: dict[str, Any] = {"Bucket": self.bucket}
            if self.region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            with storage_errors(self, self.lake_uri):
                self.client().create_bucket(**kwargs)
        elif problem is not None:
            raise problem

    def diagnose(self, uri: str) -> StorageError | None:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket = uris.split_s3(self.resolve(uri))[0]
        try:
            self.client().head_bucket(Bucket=bucket)
        except (ClientError, BotoCoreError) as exc:
            return from_botocore(exc, bucket=bucket, endpoint=self.endpoint_url or "aws", path=uri)
        return None

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client().list_buckets()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise StorageUnreachableError(self.endpoint_url or "aws", f"rejected: {code}") from None
        except BotoCoreError as exc:
            raise StorageUnreachableError(self.endpoint_url or "aws", type(exc).__name__) from None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "lake": self.lake_uri,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key.masked() if self.secret_access_key else None,
            "path_style": self.path_style,
        }

    def __repr__(self) -> str:
        return (
            f"S3Profile(name={self.name!r}, lake={self.lake_uri!r}, endpoint={self.endpoint_url!r},"
            f" secret_access_key={'****' if self.secret_access_key else None})"
        )


def filesystem_from_spec(spec: dict[str, Any]) -> pafs.FileSystem:
    """Rebuild a pyarrow filesystem from :meth:`StorageProfile.task_spec` (runs in tasks)."""
    if spec["kind"] == "local":
        return pafs.LocalFileSystem()
    endpoint = spec.get("endpoint_url")
    kwargs: dict[str, Any] = {
        "region": spec["region"],
        "access_key": spec.get("access_key_id"),
        "secret_key": spec.get("secret_access_key"),
        "session_token": spec.get("session_token"),
        "force_virtual_addressing": not spec.get("path_style", True),
        "connect_timeout": 10,
        "request_timeout": 120,
    }
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        kwargs["endpoint_override"] = host.rstrip("/")
        kwargs["scheme"] = scheme
    return pafs.S3FileSystem(**{k: v for k, v in kwargs.items() if v is not None})
