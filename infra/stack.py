"""The stack: created or updated through a change set, waited for with progress, and on
failure the failing resource and its reason from the stack events.

No change set is made when the deployed template and parameters already equal the new ones:
a second deploy with nothing changed costs two read calls.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.aws import DeployError
from infra.template import parse

Say = Callable[[str], None]

BUSY_SUFFIX = "_IN_PROGRESS"
# states a deploy cannot build on: the stack must be fixed or destroyed first
BROKEN = {
    "ROLLBACK_COMPLETE": "it failed to create and was rolled back",
    "ROLLBACK_FAILED": "it failed to create, and the rollback failed too",
    "CREATE_FAILED": "it failed to create",
    "DELETE_FAILED": "deleting it failed",
    "UPDATE_ROLLBACK_FAILED": "an update failed, and so did its rollback",
    "UPDATE_FAILED": "an update failed",
    "IMPORT_ROLLBACK_FAILED": "an import failed, and so did its rollback",
}
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class StackFailed(DeployError):
    """The stack is (or ended) in a failed state; the message names the resource and reason."""


@dataclass
class Stack:
    name: str
    status: str
    stack_id: str
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


def describe(cfn: Any, name: str) -> Stack | None:
    """The stack, or None when there is none by that name."""
    try:
        found = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except cfn.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return Stack(
        name=name,
        status=found["StackStatus"],
        stack_id=found["StackId"],
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])
        },
        outputs={o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])},
    )


def failure_reason(cfn: Any, name: str) -> str:
    """What failed in the stack's latest operation: the first failed resource and its reason."""
    events: list[dict[str, Any]] = []
    paginator = cfn.get_paginator("describe_stack_events")
    for page in paginator.paginate(StackName=name):
        for event in page["StackEvents"]:  # newest first
            events.append(event)
            started = event.get("ResourceStatusReason") == "User Initiated"
            if started and event["LogicalResourceId"] == name:
                break
        else:
            continue
        break
    failed = [
        e
        for e in reversed(events)
        if e["ResourceStatus"].endswith("_FAILED")
        and e["LogicalResourceId"] != name
        and "cancelled" not in (e.get("ResourceStatusReason") or "")
    ]
    if not failed:
        failed = [e for e in reversed(events) if e["ResourceStatus"].endswith("_FAILED")]
    if not failed:
        return "no failed resource in the stack events"
    first = failed[0]
    return (
        f"{first['LogicalResourceId']} ({first.get('ResourceType', '?')}) "
        f"{first['ResourceStatus']}: {first.get('ResourceStatusReason') or 'no reason given'}"
    )


def check_usable(cfn: Any, stack: Stack | None) -> None:
    """Stop before building on a stack that is busy or broken, and say why."""
    if stack is None:
        return
    if stack.status in BROKEN:
        fix = (
            "run `portal destroy` and deploy again"
            if stack.status.startswith(("ROLLBACK", "CREATE"))
            else "fix the cause, then deploy again (or `portal destroy`)"
        )
        raise StackFailed(
            f"stack {stack.name} is {stack.status}: {BROKEN[stack.status]}. "
            f"{failure_reason(cfn, stack.name)}. To go on: {fix}"
        )
    if stack.status.endswith(BUSY_SUFFIX) and stack.status != "REVIEW_IN_PROGRESS":
        raise DeployError(
            f"stack {stack.name} is busy ({stack.status}); "
            "wait until it finishes, then deploy again"
        )


def deployed_template(cfn: Any, name: str) -> dict[str, Any]:
    body = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, str):  # boto3 decodes JSON bodies itself, not YAML ones
        return parse(body)
    return json.loads(json.dumps(body))


def unchanged(cfn: Any, stack: Stack, body: str, parameters: Mapping[str, str]) -> bool:
    if stack.status == "REVIEW_IN_PROGRESS" or stack.parameters != dict(parameters):
        return False
    return deployed_template(cfn, stack.name) == json.loads(body)


def apply(
    cfn: Any,
    name: str,
    body: str,
    parameters: Mapping[str, str],
    say: Say,
    *,
    poll: float = 5.0,
    timeout: float = 3600.0,
) -> bool:
    """Create or update the stack; False when nothing changed (and no change set was made)."""
    stack = describe(cfn, name)
    check_usable(cfn, stack)
    if stack is not None and unchanged(cfn, stack, body, parameters):
        return False
    kind = "CREATE" if stack is None or stack.status == "REVIEW_IN_PROGRESS" else "UPDATE"
    change_set = f"portal-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6:06d}"
    made = cfn.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType=kind,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
        Description="portal deploy",
    )
    change_set_id = made["Id"]
    described = _wait_change_set(cfn, change_set_id, poll, timeout)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        if any(marker in reason for marker in NO_CHANGES):
            cfn.delete_change_set(ChangeSetName=change_set_id)
            return False
        raise DeployError(f"the change set for stack {name} failed: {reason}")
    say(f"Stack {name}: {_summary(described.get('Changes', []), kind)}")
    started = time.time()
    cfn.execute_change_set(ChangeSetName=change_set_id)
    final = _wait_stack(cfn, name, say, poll, timeout, started)
    if final not in DONE:
        raise StackFailed(f"stack {name} ended {final}: {failure_reason(cfn, name)}")
    return True


def _summary(changes: list[dict[str, Any]], kind: str) -> str:
    actions: dict[str, int] = {}
    for change in changes:
        action = change.get("ResourceChange", {}).get("Action", "?")
        actions[action] = actions.get(action, 0) + 1
    counts = ", ".join(f"{n} to {a.lower()}" for a, n in sorted(actions.items())) or "changes"
    return f"{'creating' if kind == 'CREATE' else 'updating'} ({counts})"


def _wait_change_set(cfn: Any, change_set_id: str, poll: float, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        described = cfn.describe_change_set(ChangeSetName=change_set_id)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return described
        if time.monotonic() > deadline:
            raise DeployError(f"change set {change_set_id} still {described['Status']}")
        time.sleep(delay)
        delay = min(delay * 2, poll)


def _wait_stack(cfn: Any, name: str, say: Say, poll: float, timeout: float, started: float) -> str:
    """Wait until the stack settles, printing each resource event as it comes."""
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    delay = 0.2
    while True:
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        for event in reversed(events):
            stamp = (
                event["Timestamp"].timestamp() if hasattr(event["Timestamp"], "timestamp") else 0
            )
            if event["EventId"] in seen or stamp < started - 5:
                continue
            seen.add(event["EventId"])
            reason = event.get("ResourceStatusReason")
            say(
                f"  {event['LogicalResourceId']}: {event['ResourceStatus']}"
                + (f" ({reason})" if reason else "")
            )
        if not status.endswith(BUSY_SUFFIX):
            return status
        if time.monotonic() > deadline:
            raise DeployError(f"stack {name} still {status} after {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, poll)


def delete(cfn: Any, name: str, say: Say, *, poll: float = 5.0, timeout: float = 3600.0) -> None:
    stack = describe(cfn, name)
    if stack is None:
        return
    cfn.delete_stack(StackName=name)
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        current = describe(cfn, stack.stack_id)
        if current is None or current.status == "DELETE_COMPLETE":
            return
        if current.status == "DELETE_FAILED":
            raise StackFailed(
                f"deleting stack {name} failed: {failure_reason(cfn, stack.stack_id)}"
            )
        if time.monotonic() > deadline:
            raise DeployError(f"stack {name} still {current.status} after {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, poll)
