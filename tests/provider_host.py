"""The SDK's dynamic-provider host (`python -m pulumi.dynamic`), run as the engine runs it: a fresh process
started in the project directory, told its port on stdout, driven over the ResourceProvider gRPC
interface with each provider dill-serialized into `__provider` the way `pulumi.dynamic.Resource` does."""

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROVIDER_KEY = "__provider"
ROOT = Path(__file__).resolve().parent.parent
DYNAMIC_TYPE = "pulumi-python:dynamic/connect:Test"


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    values = dict(message.items())
    return {key: (plain(value) if isinstance(value, struct_pb2.Struct) else value) for key, value in values.items()}


class ProviderHost:
    """One host process; `environment` replaces the inherited AWS settings (fake endpoint, credentials)."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTHONPATH"))}
        env.update(environment)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().decode().strip()
        if not port.isdigit():
            self.close()
            raise RuntimeError(f"provider host did not start: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=struct({})))

    def close(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        self.process.kill()
        self.process.wait(timeout=10)

    def check(self, provider: ResourceProvider, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> Any:
        serialized = serialize_provider(provider)
        return self.stub.Check(
            provider_pb2.CheckRequest(
                urn=self._urn(),
                olds=struct(olds or {}),
                news=struct({**news, PROVIDER_KEY: serialized}),
            )
        )

    def diff(self, provider: ResourceProvider, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        serialized = serialize_provider(provider)
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_,
                urn=self._urn(),
                olds=struct({**olds, PROVIDER_KEY: serialized}),
                news=struct({**news, PROVIDER_KEY: serialized}),
            )
        )

    def create(self, provider: ResourceProvider, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.CreateRequest(
            urn=self._urn(), properties=struct({**props, PROVIDER_KEY: serialize_provider(provider)})
        )
        response = self.stub.Create(request)
        return response.id, self._outs(response.properties)

    def read(self, provider: ResourceProvider, id_: str, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.ReadRequest(
            id=id_, urn=self._urn(), properties=struct({**props, PROVIDER_KEY: serialize_provider(provider)})
        )
        response = self.stub.Read(request)
        return response.id, self._outs(response.properties)

    def update(
        self, provider: ResourceProvider, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        serialized = serialize_provider(provider)
        request = provider_pb2.UpdateRequest(
            id=id_,
            urn=self._urn(),
            olds=struct({**olds, PROVIDER_KEY: serialized}),
            news=struct({**news, PROVIDER_KEY: serialized}),
        )
        return self._outs(self.stub.Update(request).properties)

    def delete(self, provider: ResourceProvider, id_: str, props: Mapping[str, Any]) -> None:
        request = provider_pb2.DeleteRequest(
            id=id_, urn=self._urn(), properties=struct({**props, PROVIDER_KEY: serialize_provider(provider)})
        )
        self.stub.Delete(request)

    @staticmethod
    def _urn() -> str:
        return f"urn:pulumi:test::connectdr::{DYNAMIC_TYPE}::under-test"

    @staticmethod
    def _outs(properties: struct_pb2.Struct) -> dict[str, Any]:
        outs = plain(properties)
        outs.pop(PROVIDER_KEY, None)
        return outs
