"""boto3 clients per region for the operator commands, created on first use; AWS errors as one line."""

from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from deploy.errors import DriverError, ExitCode
from deploy.traffic_ops import RegionPorts

REFUSED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
OPERATOR_CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=20, retries={"mode": "standard", "total_max_attempts": 3}
)
"""An operator command during an outage: a region that does not answer costs seconds, not botocore's default
minutes (60 s timeouts, legacy retries), and throttling is still retried."""


def aws_failure(error: BotoCoreError | ClientError) -> DriverError:
    """A botocore error as the driver's one line: credentials and permissions and an unreachable endpoint
    are the environment (exit 4), anything else a failed operation (exit 1)."""
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return DriverError(f"AWS credentials: {error}", ExitCode.ENVIRONMENT)
    if isinstance(error, UNREACHABLE):
        return DriverError(f"AWS not reachable: {error}", ExitCode.ENVIRONMENT)
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", "Unknown"), details.get("Message", "")
        said = f"AWS {error.operation_name}: {code}: {message}".rstrip(": ")
        return DriverError(said, ExitCode.ENVIRONMENT if code in REFUSED else ExitCode.FAILED)
    return DriverError(f"AWS: {error}", ExitCode.FAILED)


@dataclass
class CloudClients:
    """Clients and tables by region; a test passes its own `factory`."""

    factory: Any = None
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._cache:
            if self.factory is None:
                import boto3

                if boto3.session.Session().get_credentials() is None:
                    raise DriverError(
                        "no AWS credentials: configure a profile or AWS_* variables", ExitCode.ENVIRONMENT
                    )
                self._cache[key] = boto3.client(service, region_name=region, config=OPERATOR_CLIENT_CONFIG)
            else:
                self._cache[key] = self.factory(service, region)
        return self._cache[key]

    def table(self, region: str, name: str) -> Any:
        key = ("table:" + name, region)
        if key not in self._cache:
            if self.factory is None:
                import boto3

                self.client("dynamodb", region)
                self._cache[key] = boto3.resource("dynamodb", region_name=region, config=OPERATOR_CLIENT_CONFIG).Table(
                    name
                )
            else:
                self._cache[key] = self.factory("table:" + name, region)
        return self._cache[key]

    def ports(self, region: str, config_table: str) -> RegionPorts:
        return RegionPorts(
            region=region,
            table=self.table(region, config_table),
            lambda_client=self.client("lambda", region),
            connect=self.client("connect", region),
            cloudwatch=self.client("cloudwatch", region),
        )
