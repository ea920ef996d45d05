"""Which account and region the commands act on, checked before anything is changed."""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3
import botocore.exceptions

from scripts.deploy.naming import Refusal

# Every service the stage uses must be offered in its region.
SERVICES = ("ivs", "ivschat", "rekognition", "cognito-idp", "lambda", "apigateway")


@dataclass(frozen=True)
class Target:
    session: boto3.Session
    account: str
    region: str
    partition: str
    profile: str | None = None

    def client(self, service: str):
        return self.session.client(service, region_name=self.region)

    def environment(self) -> dict[str, str]:
        """os.environ for a subprocess (chalice) that must act on the same account and region."""
        env = dict(os.environ)
        env["AWS_DEFAULT_REGION"] = env["AWS_REGION"] = self.region
        if self.profile:
            env["AWS_PROFILE"] = self.profile
        return env


def connect(
    region: str | None = None, profile: str | None = None, session: boto3.Session | None = None
) -> Target:
    """The account and region of these credentials, or a one-line refusal saying what to do."""
    try:
        session = session or boto3.Session(profile_name=profile or None, region_name=region or None)
    except botocore.exceptions.ProfileNotFound:
        raise Refusal(
            f"AWS profile {profile!r} is not configured: see `aws configure list-profiles`"
        ) from None
    region = region or session.region_name
    if not region:
        raise Refusal(
            "no AWS region: pass REGION=... (e.g. REGION=us-west-2), or set AWS_REGION or your "
            "profile's region"
        )
    if session.get_credentials() is None:
        raise Refusal(
            "no AWS credentials: run `aws configure` (or `aws sso login`), or set AWS_PROFILE "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    missing = [
        service
        for service in SERVICES
        if region not in session.get_available_regions(service)
        and region not in session.get_available_regions(service, "aws-us-gov")
    ]
    if missing:
        raise Refusal(
            f"{', '.join(missing)} not offered in {region}: choose a region with IVS and IVS chat "
            "(e.g. us-west-2, us-east-1, eu-west-1, eu-central-1, ap-northeast-1)"
        )
    try:
        identity = session.client("sts", region_name=region).get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise Refusal("no AWS credentials: run `aws configure` or `aws sso login`") from None
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"].get("Code", "")
        raise Refusal(
            f"AWS rejected these credentials ({code}): renew them (`aws sso login`) or use "
            "another AWS_PROFILE"
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise Refusal(f"could not reach AWS STS in {region}: {error}") from None
    return Target(
        session=session,
        account=identity["Account"],
        region=region,
        partition=identity["Arn"].split(":")[1],
        profile=profile,
    )
