"""AWS on 127.0.0.1 for the access map and `akscan disable`: moto's server (a test extra) in its own process,
with IAM authentication on, so every request's SigV4 signature is recomputed from the key's secret and
every action is checked against the caller's IAM policies, as AWS does. The first three requests (no
authentication yet) create the administrator whose key sets everything else up through boto3."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from akscan.verify.outcome import Credential

BOOTSTRAP_REQUESTS = 3  # CreateUser, AttachUserPolicy, CreateAccessKey of the administrator


@dataclass
class AwsEmulator:
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    admin: Credential | None = None
    clients: dict[str, Any] = field(default_factory=dict)

    def start(self) -> AwsEmulator:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **os.environ,
            "INITIAL_NO_AUTH_ACTION_COUNT": str(BOOTSTRAP_REQUESTS),
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
        }
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        try:
            self._bootstrap()
        except BaseException:
            self.stop()  # never leave a server behind a failed start
            raise
        return self

    def _bootstrap(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.05)
        bootstrap = self._client("iam", Credential("aws", "AKIA" + "B" * 16, "b" * 40))
        bootstrap.create_user(UserName="admin")
        bootstrap.attach_user_policy(UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        key = bootstrap.create_access_key(UserName="admin")["AccessKey"]
        self.admin = Credential("aws", key["AccessKeyId"], key["SecretAccessKey"])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _client(self, service: str, credential: Credential) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=credential.key_id,
            aws_secret_access_key=credential.secret,
        )

    def as_admin(self, service: str) -> Any:
        assert self.admin is not None
        if service not in self.clients:
            self.clients[service] = self._client(service, self.admin)
        return self.clients[service]

    def user(
        self,
        name: str,
        managed: tuple[str, ...] = (),
        inline: dict[str, dict[str, Any]] | None = None,
        groups: dict[str, tuple[str, ...]] | None = None,
    ) -> Credential:
        """An IAM user with its managed policies (ARNs), inline policies and groups (with managed policies),
        and a new access key."""
        iam = self.as_admin("iam")
        iam.create_user(UserName=name)
        for arn in managed:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        for policy, document in (inline or {}).items():
            iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=json.dumps(document))
        for group, arns in (groups or {}).items():
            iam.create_group(GroupName=group)
            iam.add_user_to_group(GroupName=group, UserName=name)
            for arn in arns:
                iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Credential("aws", key["AccessKeyId"], key["SecretAccessKey"])

    def policy(self, name: str, statements: list[dict[str, Any]]) -> str:
        """A customer-managed policy; its ARN."""
        document = json.dumps({"Version": "2012-10-17", "Statement": statements})
        return str(self.as_admin("iam").create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"])

    def buckets(self, *names: str) -> None:
        for name in names:
            self.as_admin("s3").create_bucket(Bucket=name)

    def key_status(self, user: str, key_id: str) -> str:
        keys = self.as_admin("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]
        return next(str(k["Status"]) for k in keys if k["AccessKeyId"] == key_id)


def allow(*actions: str) -> dict[str, Any]:
    """An inline policy document allowing these actions (on every resource: moto asks about "*")."""
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
