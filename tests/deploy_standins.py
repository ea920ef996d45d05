"""Stand-ins for an AWS account, for running `python -m scripts.deploy` end to end offline.

- moto in server mode (in this process, on a free port): CloudFormation, S3, DynamoDB, SQS,
  SNS, IAM, STS, Lambda, API Gateway, EventBridge, CloudWatch, Cognito, IVS channels;
- the repository's emulator (`python -m local.emulator`, a subprocess) for IVS chat rooms.

What they cannot serve is stubbed here, and said so:
- moto's CloudFormation skips resource types it does not implement (and fails a stack whose
  outputs name one). `CloudFormationStandIn` takes them out of the template moto receives
  and creates them itself, from the template's own properties, through the services' APIs
  on the stand-ins: the chat room and the chat logging configuration on the emulator; the
  user pool, its app client, group, first moderator and group membership, the alarms, the
  e-mail subscription, the bucket policy and API Gateway's account role on moto. The IVS
  recording configuration exists in neither: it is an ARN only (channels are then pointed
  at it on moto for real), and DeleteRecordingConfiguration is answered by the stand-in.
- Lambda's GetAccountSettings (moto has none) is answered with a fixed account limit.
- moto's API Gateway imports OpenAPI 3 only (with an `info.description`); Chalice writes
  Swagger 2.0. Its paths, methods and integrations, spelt alike in both, are passed on as
  OpenAPI 3.0 (`as_openapi3`), so the routes are created on moto for real.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import botocore.awsrequest
import requests
from moto.apigateway.models import APIGatewayBackend
from moto.server import ThreadedMotoServer

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
# Resource types moto's CloudFormation does not implement (moto 5.2).
UNSUPPORTED = frozenset(
    {
        "AWS::IVS::RecordingConfiguration",
        "AWS::IVSChat::Room",
        "AWS::IVSChat::LoggingConfiguration",
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolGroup",
        "AWS::Cognito::UserPoolUser",
        "AWS::Cognito::UserPoolUserToGroupAttachment",
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Subscription",
        "AWS::S3::BucketPolicy",
        "AWS::ApiGateway::Account",
    }
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto in server mode in this process, its API Gateway taking Chalice's API definition."""
    originals = APIGatewayBackend.import_rest_api, APIGatewayBackend.put_rest_api

    def import_rest_api(self, api_doc, fail_on_warnings):
        return originals[0](self, as_openapi3(api_doc), fail_on_warnings)

    def put_rest_api(self, function_id, api_doc, fail_on_warnings, mode="merge"):
        return originals[1](self, function_id, as_openapi3(api_doc), fail_on_warnings, mode)

    APIGatewayBackend.import_rest_api = import_rest_api
    APIGatewayBackend.put_rest_api = put_rest_api
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        APIGatewayBackend.import_rest_api, APIGatewayBackend.put_rest_api = originals


def as_openapi3(api_doc: dict[str, Any]) -> dict[str, Any]:
    """moto imports OpenAPI 3 only, and requires info.description; Chalice writes Swagger 2.0
    without one. moto reads the paths, methods, responses and integrations alone, which both
    versions spell alike: the stand-in passes those on, labelled 3.0."""
    if "swagger" not in api_doc:
        return api_doc
    info = {"description": "", **api_doc.get("info", {})}
    return {"openapi": "3.0.1", "info": info, "paths": api_doc["paths"]}


@contextlib.contextmanager
def emulator(s3_endpoint: str, region: str, account: str) -> Iterator[str]:
    """`python -m local.emulator` on a free port; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.emulator", "--port", str(port), "--s3-endpoint",
         s3_endpoint, "--region", region, "--account", account],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/_emulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def answer_account_settings(session: boto3.Session, concurrency: int = 1000) -> None:
    """Lambda's GetAccountSettings, which moto lacks: an account with this limit, none used."""
    body = json.dumps(
        {
            "AccountLimit": {
                "ConcurrentExecutions": concurrency,
                "UnreservedConcurrentExecutions": concurrency,
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
            },
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": 0},
        }
    )

    def answer(**kwargs):
        return botocore.awsrequest.AWSResponse(None, 200, {}, None), json.loads(body)

    session.events.register("before-call.lambda.GetAccountSettings", answer)


class CloudFormationStandIn:
    """Creates the resources moto's CloudFormation skips, and puts their outputs back."""

    def __init__(self, session: boto3.Session, plain: boto3.Session, chat_endpoint: str):
        self._plain = plain  # a session without these hooks, for the stand-ins' own calls
        self._chat = plain.client("ivschat", endpoint_url=chat_endpoint)
        self._pending: tuple[str, dict, dict[str, str]] | None = None
        self.stacks: dict[str, dict[str, Any]] = {}
        # logical id -> what was done, for the test to report
        self.created: dict[str, str] = {}
        events = session.events
        for operation in ("CreateStack", "UpdateStack"):
            events.register(f"before-parameter-build.cloudformation.{operation}", self._strip)
            events.register(f"after-call.cloudformation.{operation}", self._provision)
        events.register("after-call.cloudformation.DescribeStacks", self._outputs)
        events.register("before-parameter-build.cloudformation.DeleteStack", self._deleting)
        events.register("after-call.cloudformation.DeleteStack", self._delete)
        events.register(
            "before-parameter-build.ivs.DeleteRecordingConfiguration",
            lambda params, **kwargs: self.deleted_recording_configurations.append(params["arn"]),
        )
        events.register("before-call.ivs.DeleteRecordingConfiguration", self._delete_recording)
        self.deleted_recording_configurations: list[str] = []

    # --- the hooks --------------------------------------------------------------------

    def _strip(self, params: dict[str, Any], **kwargs) -> None:
        template = json.loads(params["TemplateBody"])
        values = {p["ParameterKey"]: p["ParameterValue"] for p in params.get("Parameters", [])}
        self._pending = (params["StackName"], template, values)
        kept = {
            logical_id: resource
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] not in UNSUPPORTED
        }
        skipped = set(template["Resources"]) - set(kept)
        outputs = {
            key: output
            for key, output in template.get("Outputs", {}).items()
            if not _names_any(output["Value"], skipped)
        }
        stripped = {**template, "Resources": kept, "Outputs": outputs}
        stripped.pop("Rules", None)
        params["TemplateBody"] = json.dumps(stripped)

    def _provision(self, http_response, parsed, **kwargs) -> None:
        if http_response.status_code >= 300 or self._pending is None:
            return
        name, template, values = self._pending
        self._pending = None
        stack = self.stacks.setdefault(name, {"state": {}})
        stack.update(template=template, parameters=values)
        resolver = Resolver(self._plain, name, template, values, stack["state"])
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] not in UNSUPPORTED:
                continue
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue
            properties = resolver.resolve(resource.get("Properties", {}))
            self._create(logical_id, resource["Type"], properties, stack["state"])

    def _outputs(self, http_response, parsed, **kwargs) -> None:
        for stack in parsed.get("Stacks", []):
            known = self.stacks.get(stack["StackName"])
            if not known or stack["StackStatus"] == "DELETE_COMPLETE":
                continue
            resolver = Resolver(
                self._plain, stack["StackName"], known["template"], known["parameters"],
                known["state"],
            )  # fmt: skip
            present = {output["OutputKey"] for output in stack.get("Outputs", [])}
            for key, output in known["template"].get("Outputs", {}).items():
                if key not in present:
                    stack.setdefault("Outputs", []).append(
                        {"OutputKey": key, "OutputValue": resolver.resolve(output["Value"])}
                    )

    def _deleting(self, params: dict[str, Any], **kwargs) -> None:
        self._pending = (params["StackName"], {}, {})

    def _delete(self, http_response, parsed, **kwargs) -> None:
        name = self._pending[0] if self._pending else None
        self._pending = None
        stack = self.stacks.pop(name, None)
        if http_response.status_code >= 300 or stack is None:
            return
        idp = self._plain.client("cognito-idp")
        for logical_id, created in stack["state"].items():
            kind = created["type"]
            if kind == "AWS::IVSChat::Room":
                self._chat.delete_room(identifier=created["Arn"])
            elif kind == "AWS::IVSChat::LoggingConfiguration":
                self._chat.delete_logging_configuration(identifier=created["Arn"])
            elif kind == "AWS::Cognito::UserPool":
                idp.delete_user_pool(UserPoolId=created["Ref"])
            elif kind == "AWS::CloudWatch::Alarm":
                self._plain.client("cloudwatch").delete_alarms(AlarmNames=[created["Ref"]])
            self.created[logical_id] = "deleted"

    def _delete_recording(self, **kwargs):
        """IVS DeleteRecordingConfiguration, which moto lacks (its configurations are ARNs)."""
        return botocore.awsrequest.AWSResponse(None, 204, {}, None), {}

    # --- the resources ----------------------------------------------------------------

    def _create(self, logical_id: str, kind: str, props: dict, state: dict) -> None:
        client = self._plain.client
        existing = state.get(logical_id)
        if kind == "AWS::IVS::RecordingConfiguration":
            if existing and existing["properties"] == props:
                return  # unchanged; a changed one is a new one (CloudFormation replaces it)
            region, account = _region_account(self._plain)
            arn = f"arn:aws:ivs:{region}:{account}:recording-configuration/{secrets.token_hex(6)}"
            state[logical_id] = {"type": kind, "Ref": arn, "Arn": arn, "properties": props}
            self.created[logical_id] = "stubbed (an ARN: neither moto nor the emulator has it)"
        elif kind == "AWS::IVSChat::LoggingConfiguration":
            destination = {
                "cloudWatchLogs": {
                    "logGroupName": props["DestinationConfiguration"]["CloudWatchLogs"][
                        "LogGroupName"
                    ]
                }
            }
            if existing:
                self._chat.update_logging_configuration(
                    identifier=existing["Arn"], destinationConfiguration=destination
                )
                return
            tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
            arn = self._chat.create_logging_configuration(
                name=props["Name"], destinationConfiguration=destination, tags=tags
            )["arn"]
            state[logical_id] = {"type": kind, "Ref": arn, "Arn": arn}
            self.created[logical_id] = "created on the emulator (CreateLoggingConfiguration)"
        elif kind == "AWS::IVSChat::Room" and not existing:
            tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
            room = self._chat.create_room(name=props["Name"], tags=tags)
            state[logical_id] = {"type": kind, "Ref": room["arn"], "Arn": room["arn"]}
            self.created[logical_id] = "created on the emulator (ivschat CreateRoom)"
        elif kind == "AWS::Cognito::UserPool":
            idp = client("cognito-idp")
            settings = {
                key: props[key]
                for key in ("AdminCreateUserConfig", "AccountRecoverySetting", "Policies")
                if key in props
            }
            if existing:
                idp.update_user_pool(UserPoolId=existing["Ref"], **settings)
                return
            pool = idp.create_user_pool(
                PoolName=props["UserPoolName"],
                AliasAttributes=props.get("AliasAttributes", []),
                UsernameConfiguration=props.get("UsernameConfiguration", {}),
                **settings,
            )["UserPool"]
            state[logical_id] = {"type": kind, "Ref": pool["Id"], "Arn": pool["Arn"]}
            self.created[logical_id] = "created on moto (cognito-idp CreateUserPool)"
        elif kind == "AWS::Cognito::UserPoolClient" and not existing:
            app = client("cognito-idp").create_user_pool_client(
                UserPoolId=props["UserPoolId"],
                ClientName=props["ClientName"],
                GenerateSecret=props["GenerateSecret"],
                ExplicitAuthFlows=props["ExplicitAuthFlows"],
                PreventUserExistenceErrors=props["PreventUserExistenceErrors"],
                EnableTokenRevocation=props["EnableTokenRevocation"],
            )["UserPoolClient"]
            state[logical_id] = {"type": kind, "Ref": app["ClientId"]}
            self.created[logical_id] = "created on moto (cognito-idp CreateUserPoolClient)"
        elif kind == "AWS::Cognito::UserPoolGroup" and not existing:
            client("cognito-idp").create_group(
                UserPoolId=props["UserPoolId"],
                GroupName=props["GroupName"],
                Description=props.get("Description", ""),
            )
            state[logical_id] = {"type": kind, "Ref": props["GroupName"]}
            self.created[logical_id] = "created on moto (cognito-idp CreateGroup)"
        elif kind == "AWS::Cognito::UserPoolUser" and not existing:
            client("cognito-idp").admin_create_user(
                UserPoolId=props["UserPoolId"],
                Username=props["Username"],
                UserAttributes=props["UserAttributes"],
                DesiredDeliveryMediums=props["DesiredDeliveryMediums"],
            )
            state[logical_id] = {"type": kind, "Ref": props["Username"]}
            self.created[logical_id] = "created on moto (cognito-idp AdminCreateUser)"
        elif kind == "AWS::Cognito::UserPoolUserToGroupAttachment" and not existing:
            client("cognito-idp").admin_add_user_to_group(
                UserPoolId=props["UserPoolId"],
                Username=props["Username"],
                GroupName=props["GroupName"],
            )
            state[logical_id] = {"type": kind, "Ref": logical_id}
            self.created[logical_id] = "created on moto (cognito-idp AdminAddUserToGroup)"
        elif kind == "AWS::CloudWatch::Alarm":
            client("cloudwatch").put_metric_alarm(**props)
            state[logical_id] = {"type": kind, "Ref": props["AlarmName"]}
            self.created[logical_id] = "created on moto (cloudwatch PutMetricAlarm)"
        elif kind == "AWS::SNS::Subscription" and not existing:
            arn = client("sns").subscribe(
                TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"]
            )["SubscriptionArn"]
            state[logical_id] = {"type": kind, "Ref": arn}
            self.created[logical_id] = "created on moto (sns Subscribe)"
        elif kind == "AWS::S3::BucketPolicy":
            client("s3").put_bucket_policy(
                Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"])
            )
            state[logical_id] = {"type": kind, "Ref": props["Bucket"]}
            self.created[logical_id] = "created on moto (s3 PutBucketPolicy)"
        elif kind == "AWS::ApiGateway::Account":
            client("apigateway").update_account(
                patchOperations=[
                    {
                        "op": "replace",
                        "path": "/cloudwatchRoleArn",
                        "value": props["CloudWatchRoleArn"],
                    }
                ]
            )
            state[logical_id] = {"type": kind, "Ref": logical_id}
            self.created[logical_id] = "created on moto (apigateway UpdateAccount)"


class Resolver:
    """Enough of CloudFormation's intrinsic functions for the stage's template."""

    def __init__(self, plain, stack: str, template: dict, parameters: dict, state: dict):
        self._plain = plain
        self._stack = stack
        self._template = template
        self._state = state
        defaults = {
            key: str(parameter.get("Default", ""))
            for key, parameter in template.get("Parameters", {}).items()
        }
        region, account = _region_account(plain)
        self._values = {
            **defaults,
            **parameters,
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::StackName": stack,
        }
        self._physical: dict[str, str] | None = None

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self._template["Conditions"][name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(function, argument)] = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                return self.attribute(*argument)
            if function == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), argument)
            if function == "Fn::If":
                condition, yes, no = argument
                return self.resolve(yes if self.condition(condition) else no)
            if function == "Fn::Split":
                return self.resolve(argument[1]).split(argument[0])
            if function == "Fn::Equals":
                return self.resolve(argument[0]) == self.resolve(argument[1])
            if function == "Fn::Not":
                return not self.resolve(argument[0])
            if function == "Condition":
                return self.condition(argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def ref(self, name: str) -> str:
        if name in self._values:
            return self._values[name]
        if name in self._state:
            return self._state[name]["Ref"]
        return self._physical_ids()[name]

    def attribute(self, name: str, attribute: str) -> str:
        if name in self._state:
            return self._state[name][attribute]
        kind = self._template["Resources"][name]["Type"]
        physical = self._physical_ids()[name]
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{physical}"
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return self._plain.client("iam").get_role(RoleName=physical)["Role"]["Arn"]
        if kind == "AWS::SQS::Queue":
            attributes = self._plain.client("sqs").get_queue_attributes(
                QueueUrl=physical, AttributeNames=["QueueArn"]
            )["Attributes"]
            return {"Arn": attributes["QueueArn"], "QueueName": physical.rsplit("/", 1)[1]}[
                attribute
            ]
        raise KeyError(f"the stand-in cannot resolve {name}.{attribute}")

    def _sub(self, name: str) -> str:
        if "." in name:
            return self.attribute(*name.split(".", 1))
        return self.ref(name)

    def _physical_ids(self) -> Mapping[str, str]:
        if self._physical is None:
            resources = self._plain.client("cloudformation").describe_stack_resources(
                StackName=self._stack
            )["StackResources"]
            self._physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        return self._physical


def _names_any(value: Any, logical_ids: set[str]) -> bool:
    text = json.dumps(value)
    return any(
        f'"Ref": "{logical_id}"' in text
        or f'["{logical_id}",' in text
        or f"${{{logical_id}" in text
        for logical_id in logical_ids
    )


def _region_account(session: boto3.Session) -> tuple[str, str]:
    region = session.region_name or os.environ["AWS_DEFAULT_REGION"]
    return region, os.environ.get("MOTO_ACCOUNT_ID", "123456789012")
