"""Real object-store emulators on 127.0.0.1 for the artifact tests: S3 (moto's server mode), Azure Blob
(Azurite) and GCS (fake-gcs-server), installed by scripts/setup-venv.sh (moto) and
scripts/setup-object-stores.sh (Azurite, fake-gcs-server).

Each emulator is a context manager (or start()/stop()): it takes a free port, runs the server in its own
session and stops the whole process group, polls until the server answers (bounded), creates one
bucket/container, and exposes
  - `env`: the variables that point both MLflow's Python client and a native client at it, named as
    MLflow (and the cloud SDKs / the `object_store` crate) name them;
  - `unset`: variables that must NOT be set for `env` to be what decides (a developer's own cloud
    credentials, profiles); `apply(monkeypatch)` does both;
  - `artifact_uri(prefix)`: the artifact location MLflow accepts for that store;
  - `keys(prefix)` and `read(key)`: the raw object keys and bytes, read directly (not through MLflow), so
    tests can check the exact layout `<prefix>/<run_id>/artifacts/<path>`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from process_group import free_port, stop_group  # noqa: F401 - free_port is re-exported

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURITE_BIN = REPO_ROOT / "tests/object_stores/node_modules/.bin/azurite-blob"
FAKE_GCS_SERVER_BIN = REPO_ROOT / ".tools/bin/fake-gcs-server"
SETUP_HINT = "run scripts/setup-object-stores.sh"

START_DEADLINE_S = 60.0  # moto ~2-4 s, Azurite ~1-2 s, fake-gcs-server <1 s on this 2-core machine
STOP_GRACE_S = 10.0


def _http_status(url: str, method: str = "GET") -> int | None:
    """The HTTP status `url` answers with, or None while nothing listens there yet."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


class _Emulator:
    """One emulator process in its own session; subclasses say how to start, probe and provision it."""

    name = "emulator"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / f"{self.name}.log"
        self._log = None

    # ---- subclass hooks ----
    def _command(self) -> list[str]:
        raise NotImplementedError

    def _process_env(self) -> dict[str, str]:
        return dict(os.environ)

    def _answers(self) -> bool:
        raise NotImplementedError

    def _provision(self) -> None:
        raise NotImplementedError

    # ---- lifecycle ----
    def start(self) -> "_Emulator":
        """launch() and ready(): the server answers and has its bucket/container."""
        self.launch()
        return self.ready()

    def launch(self) -> "_Emulator":
        """Starts the process and returns at once (`port` and `env` are known): several emulators can
        boot at the same time; ready() waits for one."""
        self.port = free_port()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self._command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self._process_env(),
            cwd=self.workdir,
            start_new_session=True,
        )
        return self

    def ready(self) -> "_Emulator":
        try:
            self._wait_until_answering()
            self._provision()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_answering(self) -> None:
        start = time.monotonic()
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() - start > START_DEADLINE_S:
                raise TimeoutError(f"{self.name} not answering after {START_DEADLINE_S} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL if it lingers."""
        if self.process is None:
            return
        try:
            stop_group(self.process, STOP_GRACE_S)
        finally:
            self.process = None
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as e:
            return f"(no log: {e})"

    # ---- environment ----
    env: dict[str, str]
    unset: tuple[str, ...] = ()

    def apply(self, monkeypatch) -> None:
        """Points this process (MLflow's client, SDKs) at the emulator for the rest of the test."""
        for name in self.unset:
            monkeypatch.delenv(name, raising=False)
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)

    def server_env(self) -> dict[str, str | None]:
        """`env` plus `unset` as None, in the form MlflowServer(extra_env=...) takes."""
        return {**{name: None for name in self.unset}, **self.env}


def forget_s3_clients() -> None:
    """Makes MLflow's Python client read the AWS_* variables again. Within one process it otherwise keeps
    the credentials it saw first: boto3's default session resolves them once, and MLflow caches its S3
    client per endpoint (not per credentials) for up to an hour."""
    import boto3
    from mlflow.store.artifact import s3_artifact_repo

    boto3.DEFAULT_SESSION = None
    s3_artifact_repo._cached_get_s3_client.cache_clear()


# ---- S3: moto ---------------------------------------------------------------------------------------


class MotoS3(_Emulator):
    """moto's S3 in server mode. By default moto accepts any access key and secret. With
    `enforce_auth=True` the server runs with INITIAL_NO_AUTH_ACTION_COUNT: the first requests
    (an IAM user, its access key, an s3:* policy, the bucket) go unauthenticated, every later one
    must be signed with that IAM user's real key — a wrong secret then fails with
    SignatureDoesNotMatch, an unknown key id with InvalidAccessKeyId, as on AWS. moto 5.2.5 answers
    500 to every presigned (query-signed) URL in that mode, so a proxied multipart upload (presigned
    part URLs) needs the default mode."""

    name = "moto-s3"
    REGION = "us-east-1"
    # Requests made before auth is enforced: CreateUser, CreateAccessKey, PutUserPolicy, CreateBucket.
    _PROVISIONING_REQUESTS = 4
    unset = (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "MLFLOW_S3_IGNORE_TLS",
        "MLFLOW_EXPERIMENTAL_S3_SIGNATURE_VERSION",
        "MLFLOW_S3_UPLOAD_EXTRA_ARGS",
        "MLFLOW_S3_EXPECTED_BUCKET_OWNER",
    )

    def __init__(self, workdir: Path, bucket: str = "mlflow-artifacts", *, enforce_auth: bool = False):
        super().__init__(workdir)
        self.bucket = bucket
        self.enforce_auth = enforce_auth
        self.access_key_id = "testing-key-id"
        self.secret_access_key = "testing-secret"

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def _process_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.enforce_auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(self._PROVISIONING_REQUESTS)
        else:
            env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
        return env

    def _answers(self) -> bool:
        # moto's own management API: not an AWS action, so it never counts against the no-auth budget.
        return _http_status(f"{self.endpoint_url}/moto-api/data.json") == 200

    def _boto_client(self, service: str, access_key_id: str, secret_access_key: str):
        import boto3

        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.REGION,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
        )

    def _provision(self) -> None:
        if self.enforce_auth:
            iam = self._boto_client("iam", "bootstrap", "bootstrap")
            iam.create_user(UserName="mlflow-tests")
            key = iam.create_access_key(UserName="mlflow-tests")["AccessKey"]
            iam.put_user_policy(
                UserName="mlflow-tests",
                PolicyName="s3-all",
                PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
                ),
            )
            self.access_key_id = key["AccessKeyId"]
            self.secret_access_key = key["SecretAccessKey"]
        self.client().create_bucket(Bucket=self.bucket)

    @property
    def env(self) -> dict[str, str]:
        empty_config = str(self.workdir / "no-aws-config")  # a developer's ~/.aws must not decide
        return {
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.REGION,
            "AWS_REGION": self.REGION,
            # For native clients (object_store's AmazonS3Builder::from_env reads AWS_ENDPOINT and needs
            # AWS_ALLOW_HTTP for a plain-http endpoint; boto3 also honours AWS_ENDPOINT_URL_S3).
            "AWS_ENDPOINT": self.endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_ALLOW_HTTP": "true",
            # No instance-metadata probing (seconds of timeouts off EC2).
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": empty_config,
            "AWS_SHARED_CREDENTIALS_FILE": empty_config,
        }

    def artifact_uri(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"

    def client(self, secret_access_key: str | None = None):
        """A boto3 S3 client with this server's credentials (or a different secret)."""
        return self._boto_client("s3", self.access_key_id, secret_access_key or self.secret_access_key)

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.client().get_paginator("list_objects_v2")
        return sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        )

    def read(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def apply(self, monkeypatch) -> None:
        super().apply(monkeypatch)
        forget_s3_clients()

    def open_multipart_uploads(self) -> list[dict]:
        return self.client().list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])


# ---- Azure Blob: Azurite ----------------------------------------------------------------------------


class Azurite(_Emulator):
    """Azurite's Blob service with its well-known development account. It checks Shared Key
    signatures: a connection string with a wrong AccountKey is refused (403)."""

    name = "azurite"
    ACCOUNT = "devstoreaccount1"
    # Azurite's published development key (https://learn.microsoft.com/azure/storage/common/storage-use-azurite).
    ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    unset = (
        "AZURE_STORAGE_SAS_TOKEN",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_TENANT_ID",
        "AZURE_STORAGE_ACCOUNT_KEY_ROTATION",
    )

    def __init__(self, workdir: Path, container: str = "mlflow-artifacts"):
        super().__init__(workdir)
        self.container = container

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.ACCOUNT}"

    def _command(self) -> list[str]:
        if not AZURITE_BIN.exists():
            raise FileNotFoundError(f"{AZURITE_BIN} missing: {SETUP_HINT}")
        return [
            str(AZURITE_BIN),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(self.port),
            "--location",
            str(self.workdir / "azurite-data"),
            # It would send usage data (Application Insights) off the machine otherwise.
            "--disableTelemetry",
            # azure-storage-blob sends a newer x-ms-version than a pinned Azurite knows.
            "--skipApiVersionCheck",
            "--disableProductStyleUrl",
        ]

    def _answers(self) -> bool:
        # Any HTTP answer (an unauthenticated request gets 4xx) means the blob service listens.
        return _http_status(f"{self.blob_endpoint}?comp=list") is not None

    def connection_string(self, account_key: str | None = None) -> str:
        return (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={self.ACCOUNT};"
            f"AccountKey={account_key or self.ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )

    def _provision(self) -> None:
        self.container_client().create_container()

    @property
    def env(self) -> dict[str, str]:
        return {
            # What MLflow's AzureBlobArtifactRepository reads first: it carries the endpoint. (With only
            # AZURE_STORAGE_ACCESS_KEY MLflow builds https://<account>.blob.core.windows.net, which no
            # emulator can answer.)
            "AZURE_STORAGE_CONNECTION_STRING": self.connection_string(),
            "AZURE_STORAGE_ACCESS_KEY": self.ACCOUNT_KEY,
            # For native clients: object_store's MicrosoftAzureBuilder::from_env.
            "AZURE_STORAGE_ACCOUNT_NAME": self.ACCOUNT,
            "AZURE_STORAGE_ACCOUNT_KEY": self.ACCOUNT_KEY,
            "AZURE_STORAGE_USE_EMULATOR": "true",
            "AZURITE_BLOB_STORAGE_URL": f"http://127.0.0.1:{self.port}",
            "AZURE_ALLOW_HTTP": "true",
        }

    def artifact_uri(self, prefix: str) -> str:
        # MLflow 3.17.2 accepts only wasbs://<container>@<account>.blob.core.(windows.net|chinacloudapi.cn|
        # usgovcloudapi.net)/<path>; the host part only names container and account, the connection string
        # decides where requests go.
        return f"wasbs://{self.container}@{self.ACCOUNT}.blob.core.windows.net/{prefix}"

    def container_client(self, account_key: str | None = None):
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(self.connection_string(account_key))
        return service.get_container_client(self.container)

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(blob.name for blob in self.container_client().list_blobs(name_starts_with=prefix or None))

    def read(self, key: str) -> bytes:
        return self.container_client().download_blob(key).readall()


# ---- GCS: fake-gcs-server ---------------------------------------------------------------------------


class FakeGcs(_Emulator):
    """fake-gcs-server (in memory) over plain http. It checks no credentials at all: the client side
    uses anonymous credentials (google-cloud-storage does so by itself when STORAGE_EMULATOR_HOST is
    set). `-public-host`/`-external-url` make the URLs it hands out (resumable-upload sessions,
    media links) point back at itself rather than at storage.googleapis.com."""

    name = "fake-gcs-server"
    PROJECT = "mlflow-tests"
    unset = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")

    def __init__(self, workdir: Path, bucket: str = "mlflow-artifacts"):
        super().__init__(workdir)
        self.bucket = bucket

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        if not FAKE_GCS_SERVER_BIN.exists():
            raise FileNotFoundError(f"{FAKE_GCS_SERVER_BIN} missing: {SETUP_HINT}")
        return [
            str(FAKE_GCS_SERVER_BIN),
            "-scheme",
            "http",
            "-host",
            "127.0.0.1",
            "-port",
            str(self.port),
            "-public-host",
            f"127.0.0.1:{self.port}",
            "-external-url",
            self.endpoint_url,
            "-backend",
            "memory",
            "-log-level",
            "warn",
        ]

    def _answers(self) -> bool:
        return _http_status(f"{self.endpoint_url}/storage/v1/b") == 200

    def _provision(self) -> None:
        self._json("POST", f"/storage/v1/b?project={self.PROJECT}", {"name": self.bucket})

    @property
    def env(self) -> dict[str, str]:
        return {
            # google-cloud-storage: endpoint and, with it, anonymous credentials.
            "STORAGE_EMULATOR_HOST": self.endpoint_url,
            "GOOGLE_CLOUD_PROJECT": self.PROJECT,
            # For native clients: object_store's GoogleCloudStorageBuilder::from_env reads GOOGLE_BASE_URL
            # and GOOGLE_SKIP_SIGNATURE. Caveat: object_store writes through the XML API
            # (PUT <base>/<bucket>/<key>, POST ...?uploads), which fake-gcs-server 1.56.1 answers with
            # 400 "invalid uploadType"; its JSON API (what google-cloud-storage uses) and XML GET/list work.
            "GOOGLE_BASE_URL": self.endpoint_url,
            "GOOGLE_SKIP_SIGNATURE": "true",
        }

    def artifact_uri(self, prefix: str) -> str:
        return f"gs://{self.bucket}/{prefix}"

    def _json(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.endpoint_url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else {}

    def keys(self, prefix: str = "") -> list[str]:
        names: list[str] = []
        page_token = ""
        while True:
            query = {"prefix": prefix}
            if page_token:
                query["pageToken"] = page_token
            page = self._json("GET", f"/storage/v1/b/{self.bucket}/o?{urllib.parse.urlencode(query)}")
            names += [item["name"] for item in page.get("items", [])]
            page_token = page.get("nextPageToken", "")
            if not page_token:
                return sorted(names)

    def read(self, key: str) -> bytes:
        url = f"{self.endpoint_url}/storage/v1/b/{self.bucket}/o/{urllib.parse.quote(key, safe='')}?alt=media"
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()


ALL_EMULATORS: dict[str, Callable[[Path], _Emulator]] = {"s3": MotoS3, "azure": Azurite, "gcs": FakeGcs}
