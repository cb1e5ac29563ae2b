"""Resources an emulator's CloudFormation lacks, made through their own APIs (``--endpoint-url``).

moto's CloudFormation silently skips these types (the stack still says CREATE_COMPLETE) and
fails on a ``Fn::GetAtt`` of one. So with ``--endpoint-url`` the deploy takes them out of the
template, makes each through its service's API from the template's own properties (or skips
it, saying so), and puts the values they got where the rest of the template refers to them.

Those that others refer to are made before the stack (``BEFORE``); those that refer to the
stack's resources after it (``AFTER``). What an emulator already has is reused as it is,
found by name, so a second deploy changes nothing. Real AWS never goes through this module.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from infra import intrinsics
from infra.aws import Aws, DeployError

BEFORE, AFTER = "before the stack", "after the stack"
SKIPPED = ""  # the value of a skipped resource: properties that name it are left out

Say = Callable[[str], None]
Creator = Callable[[Aws, str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Emulation:
    phase: str
    create: Creator | None  # None: skipped (the emulator has no API for it)
    why: str


def _bucket_policy(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    s3 = aws.client("s3")
    s3.put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))
    return {"Ref": props["Bucket"]}


def _queue_policy(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    sqs = aws.client("sqs")
    for url in props["Queues"]:
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
        )
    return {"Ref": logical_id}


def _origin_access_control(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    cloudfront = aws.client("cloudfront")
    config = props["OriginAccessControlConfig"]
    listing = cloudfront.list_origin_access_controls()["OriginAccessControlList"]
    for item in listing.get("Items", []):
        if item["Name"] == config["Name"]:
            return {"Ref": item["Id"], "Id": item["Id"]}
    made = cloudfront.create_origin_access_control(OriginAccessControlConfig=config)
    oac_id = made["OriginAccessControl"]["Id"]
    return {"Ref": oac_id, "Id": oac_id}


def _listed(items: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(items), "Items": items}


def _behavior(cfn: Mapping[str, Any]) -> dict[str, Any]:
    """A cache behaviour in the API's shape (lists as Quantity/Items), skipped policies left out."""
    behavior = {
        k: v
        for k, v in cfn.items()
        if k not in ("AllowedMethods", "CachedMethods") and v != SKIPPED
    }
    methods = _listed(list(cfn.get("AllowedMethods", ["GET", "HEAD"])))
    methods["CachedMethods"] = _listed(list(cfn.get("CachedMethods", ["GET", "HEAD"])))
    behavior["AllowedMethods"] = methods
    return behavior


def distribution_config(cfn: Mapping[str, Any], caller_reference: str) -> dict[str, Any]:
    """CloudFormation's DistributionConfig in the CloudFront API's shape."""
    config: dict[str, Any] = {
        "CallerReference": caller_reference,
        "Comment": cfn.get("Comment", ""),
        "Enabled": cfn["Enabled"],
        "Origins": _listed(
            [{k: v for k, v in origin.items() if v != SKIPPED} for origin in cfn["Origins"]]
        ),
        "DefaultCacheBehavior": _behavior(cfn["DefaultCacheBehavior"]),
        "CacheBehaviors": _listed([_behavior(b) for b in cfn.get("CacheBehaviors", [])]),
    }
    for cfn_key, api_key in (
        ("HttpVersion", "HttpVersion"),
        ("IPV6Enabled", "IsIPV6Enabled"),
        ("PriceClass", "PriceClass"),
        ("DefaultRootObject", "DefaultRootObject"),
    ):
        if cfn_key in cfn:
            config[api_key] = cfn[cfn_key]
    return config


def _distribution(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    cloudfront = aws.client("cloudfront")
    cfn = props["DistributionConfig"]
    found = _find_distribution(aws, cfn.get("Comment", ""))
    if found is None:
        config = distribution_config(cfn, caller_reference=f"{cfn.get('Comment', '')}/{logical_id}")
        found = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    return {"Ref": found["Id"], "Id": found["Id"], "DomainName": found["DomainName"]}


def _find_distribution(aws: Aws, comment: str) -> dict[str, Any] | None:
    listing = aws.client("cloudfront").list_distributions()["DistributionList"]
    return next((d for d in listing.get("Items", []) if d.get("Comment") == comment), None)


def _http_api(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    api = aws.client("apigatewayv2")
    found = _find_api(aws, props["Name"])
    if found is None:
        found = api.create_api(**props)
    return {"Ref": found["ApiId"], "ApiId": found["ApiId"], "ApiEndpoint": found["ApiEndpoint"]}


def _find_api(aws: Aws, name: str) -> dict[str, Any] | None:
    items = aws.client("apigatewayv2").get_apis().get("Items", [])
    return next((a for a in items if a["Name"] == name), None)


def _integration(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    api = aws.client("apigatewayv2")
    items = api.get_integrations(ApiId=props["ApiId"]).get("Items", [])
    found = next((i for i in items if i.get("IntegrationUri") == props["IntegrationUri"]), None)
    if found is None:
        found = api.create_integration(**props)
    return {"Ref": found["IntegrationId"]}


def _route(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    api = aws.client("apigatewayv2")
    items = api.get_routes(ApiId=props["ApiId"]).get("Items", [])
    found = next((r for r in items if r["RouteKey"] == props["RouteKey"]), None)
    if found is None:
        found = api.create_route(**props)
    return {"Ref": found["RouteId"]}


def _stage(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    api = aws.client("apigatewayv2")
    items = api.get_stages(ApiId=props["ApiId"]).get("Items", [])
    if not any(s["StageName"] == props["StageName"] for s in items):
        api.create_stage(**props)
    return {"Ref": props["StageName"]}


def _email_identity(aws: Aws, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
    ses = aws.client("sesv2")
    try:
        ses.get_email_identity(EmailIdentity=props["EmailIdentity"])
    except ses.exceptions.NotFoundException:
        ses.create_email_identity(EmailIdentity=props["EmailIdentity"])
    return {"Ref": props["EmailIdentity"]}


NO_CLOUDFRONT_POLICIES = "moto has no CloudFront policy API; the distribution is made without it"

EMULATED: dict[str, Emulation] = {
    "AWS::CloudFront::OriginAccessControl": Emulation(BEFORE, _origin_access_control, ""),
    "AWS::CloudFront::CachePolicy": Emulation(BEFORE, None, NO_CLOUDFRONT_POLICIES),
    "AWS::CloudFront::ResponseHeadersPolicy": Emulation(BEFORE, None, NO_CLOUDFRONT_POLICIES),
    "AWS::CloudFront::Distribution": Emulation(BEFORE, _distribution, ""),
    "AWS::ApiGatewayV2::Api": Emulation(BEFORE, _http_api, ""),
    "AWS::ApiGatewayV2::Stage": Emulation(BEFORE, _stage, ""),
    "AWS::SES::EmailIdentity": Emulation(BEFORE, _email_identity, ""),
    "AWS::ApiGatewayV2::Integration": Emulation(AFTER, _integration, ""),
    "AWS::ApiGatewayV2::Route": Emulation(AFTER, _route, ""),
    "AWS::S3::BucketPolicy": Emulation(AFTER, _bucket_policy, ""),
    "AWS::SQS::QueuePolicy": Emulation(AFTER, _queue_policy, ""),
}


def attributes(aws: Aws, resource_type: str, physical_id: str) -> dict[str, Any]:
    """The values a stack resource's Ref and GetAtt give, from its physical id."""
    region, account, partition = aws.region, aws.account_id, aws.partition
    if resource_type == "AWS::S3::Bucket":
        return {
            "Ref": physical_id,
            "Arn": f"arn:{partition}:s3:::{physical_id}",
            "DomainName": f"{physical_id}.s3.amazonaws.com",
            "RegionalDomainName": f"{physical_id}.s3.{region}.amazonaws.com",
        }
    if resource_type == "AWS::Lambda::Function":
        arn = f"arn:{partition}:lambda:{region}:{account}:function:{physical_id}"
        return {"Ref": physical_id, "Arn": arn}
    if resource_type == "AWS::SQS::Queue":
        name = physical_id.rstrip("/").rpartition("/")[2]
        return {"Ref": physical_id, "Arn": f"arn:{partition}:sqs:{region}:{account}:{name}"}
    if resource_type == "AWS::Events::Rule":
        name = physical_id.rpartition("/")[2]
        return {"Ref": name, "Arn": f"arn:{partition}:events:{region}:{account}:rule/{name}"}
    if resource_type == "AWS::DynamoDB::Table":
        arn = f"arn:{partition}:dynamodb:{region}:{account}:table/{physical_id}"
        return {"Ref": physical_id, "Arn": arn}
    return {"Ref": physical_id}


class Emulator:
    """Takes the emulated resources out of a template, and makes them around the stack."""

    def __init__(
        self,
        aws: Aws,
        stack: str,
        template: dict[str, Any],
        parameters: Mapping[str, str],
        say: Say,
    ) -> None:
        self.aws, self.say = aws, say
        self.template = template
        self.emulated = {
            logical: resource
            for logical, resource in template["Resources"].items()
            if resource["Type"] in EMULATED
        }
        self.values: dict[str, dict[str, Any]] = {
            "AWS::StackName": {"Ref": stack},
            "AWS::Region": {"Ref": aws.region},
            "AWS::AccountId": {"Ref": aws.account_id},
            "AWS::Partition": {"Ref": aws.partition},
            "AWS::URLSuffix": {"Ref": "amazonaws.com"},
            **{name: {"Ref": value} for name, value in parameters.items()},
        }

    def stack_template(self) -> dict[str, Any]:
        """The template without the emulated resources; references to them hold their values.

        Call after ``before_stack``.
        """
        made = {
            logical: self.values[logical] for logical in self.emulated if logical in self.values
        }
        resources = {}
        for logical, resource in self.template["Resources"].items():
            if logical in self.emulated:
                continue
            missing = intrinsics.references(resource) & (set(self.emulated) - set(made))
            if missing:
                raise DeployError(
                    f"{logical} refers to {', '.join(sorted(missing))}, which the emulator can "
                    "only make after the stack"
                )
            resource = intrinsics.substitute(resource, made)
            depends = resource.get("DependsOn")
            if depends is not None:
                kept = [d for d in ([depends] if isinstance(depends, str) else depends)]
                kept = [d for d in kept if d not in self.emulated]
                resource = {k: v for k, v in resource.items() if k != "DependsOn"}
                if kept:
                    resource["DependsOn"] = kept
            resources[logical] = resource
        outputs = intrinsics.substitute(self.template.get("Outputs", {}), made)
        return {**self.template, "Resources": resources, "Outputs": outputs}

    def before_stack(self) -> None:
        """Make the emulated resources the stack refers to (stack names predicted)."""
        for logical, resource in self.template["Resources"].items():
            name = _explicit_name(resource)
            if logical not in self.emulated and name is not None:
                name = intrinsics.resolve(name, self.values)
                self.values[logical] = attributes(self.aws, resource["Type"], name)
        self._make(BEFORE)
        # predictions served their purpose; after the stack, its own answers are used
        for logical in self.template["Resources"]:
            if logical not in self.emulated:
                self.values.pop(logical, None)

    def after_stack(self, physical_ids: Mapping[str, str]) -> None:
        """Make the emulated resources that refer to the stack's own."""
        for logical, physical in physical_ids.items():
            resource_type = self.template["Resources"][logical]["Type"]
            self.values[logical] = attributes(self.aws, resource_type, physical)
        self._make(AFTER)

    def outputs(self) -> dict[str, str]:
        """The template's outputs, evaluated here (call after ``after_stack``).

        moto's CloudFormation reports no outputs for a stack made through a change set.
        """
        return {
            name: str(intrinsics.resolve(output["Value"], self.values))
            for name, output in self.template.get("Outputs", {}).items()
        }

    def _make(self, phase: str) -> None:
        pending = [
            logical
            for logical, resource in self.emulated.items()
            if EMULATED[resource["Type"]].phase == phase
        ]
        while pending:
            progress = False
            for logical in list(pending):
                resource = self.emulated[logical]
                emulation = EMULATED[resource["Type"]]
                if emulation.create is None:
                    self.values[logical] = {"Ref": SKIPPED, "Id": SKIPPED}
                    self.say(f"emulator: skipped {resource['Type']} {logical} ({emulation.why})")
                else:
                    try:
                        props = intrinsics.resolve(resource.get("Properties", {}), self.values)
                    except intrinsics.Unresolved:
                        continue
                    self.values[logical] = emulation.create(self.aws, logical, props)
                    self.say(
                        f"emulator: made {resource['Type']} {logical} through its API "
                        "(the emulator's CloudFormation lacks it)"
                    )
                pending.remove(logical)
                progress = True
            if not progress:
                raise DeployError(
                    f"cannot make {', '.join(pending)} {phase}: they refer to values not known then"
                )

    def destroy(self, say: Say) -> None:
        """Remove what ``before_stack`` made (the rest went with the stack's resources)."""
        for logical, resource in self.emulated.items():
            props = resource.get("Properties", {})
            kind = resource["Type"]
            try:
                if kind == "AWS::ApiGatewayV2::Api":
                    found = _find_api(self.aws, intrinsics.resolve(props["Name"], self.values))
                    if found is not None:
                        self.aws.client("apigatewayv2").delete_api(ApiId=found["ApiId"])
                elif kind == "AWS::CloudFront::Distribution":
                    comment = intrinsics.resolve(
                        props["DistributionConfig"]["Comment"], self.values
                    )
                    found = _find_distribution(self.aws, comment)
                    if found is not None:
                        self.aws.client("cloudfront").delete_distribution(
                            Id=found["Id"], IfMatch="*"
                        )
                elif kind == "AWS::CloudFront::OriginAccessControl":
                    name = intrinsics.resolve(
                        props["OriginAccessControlConfig"]["Name"], self.values
                    )
                    cloudfront = self.aws.client("cloudfront")
                    listing = cloudfront.list_origin_access_controls()["OriginAccessControlList"]
                    for item in listing.get("Items", []):
                        if item["Name"] == name:
                            cloudfront.delete_origin_access_control(Id=item["Id"], IfMatch="*")
                elif kind == "AWS::SES::EmailIdentity":
                    identity = intrinsics.resolve(props["EmailIdentity"], self.values)
                    ses = self.aws.client("sesv2")
                    with contextlib.suppress(ses.exceptions.NotFoundException):
                        ses.delete_email_identity(EmailIdentity=identity)
                else:
                    continue
            except intrinsics.Unresolved:
                continue
            say(f"emulator: removed {kind} {logical}")


def _explicit_name(resource: Mapping[str, Any]) -> Any:
    """A stack resource's name property, when the template sets one (so it can be predicted)."""
    props = resource.get("Properties", {})
    for key in ("BucketName", "FunctionName", "QueueName", "TableName"):
        if key in props:
            return props[key]
    return None
