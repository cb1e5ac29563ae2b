"""The deploy's pure decisions: what to upload, delete, invalidate and write, and how the
emulator's template rewriting evaluates CloudFormation's functions."""

from __future__ import annotations

from typing import Any

import pytest

from infra import intrinsics
from infra.ledger import changed_entries
from infra.sync import headers, invalidation_paths, plan
from local.emulated import SKIPPED, distribution_config


def test_plan_uploads_new_and_changed_and_deletes_only_what_is_ours() -> None:
    local = {"a.html": "1", "b.html": "2", "new.html": "3"}
    remote = {"a.html": "1", "b.html": "old", "gone.html": "4", "keep/x": "5"}
    upload, changed, delete = plan(local, remote, owned=lambda k: not k.startswith("keep/"))
    assert upload == ["b.html", "new.html"]
    assert changed == ["b.html"]
    assert delete == ["gone.html"]


def test_nothing_to_do_when_both_sides_agree() -> None:
    same = {"a": "1", "b": "2"}
    assert plan(same, dict(same), owned=lambda k: True) == ([], [], [])


def test_invalidation_is_exact_while_few_then_by_client_folder_then_everything() -> None:
    keys = ["c/tok1/index.html", "c/tok1/invoices/INV 1.html"]
    assert invalidation_paths(keys) == ["/c/tok1/index.html", "/c/tok1/invoices/INV%201.html"]
    many = [f"c/tok{n % 3}/invoices/{n}.html" for n in range(20)] + ["robots.txt"]
    assert invalidation_paths(many, limit=5) == [
        "/c/tok0/*",
        "/c/tok1/*",
        "/c/tok2/*",
        "/robots.txt",
    ]
    assert invalidation_paths(many, limit=2) == ["/*"]
    assert invalidation_paths([]) == []
    assert len(invalidation_paths([f"c/t/{n}.html" for n in range(30)])) == 30


def test_hashed_assets_are_cached_a_year_and_pages_revalidate() -> None:
    css = headers("assets/0123abcd.css")
    assert css["CacheControl"] == "public, max-age=31536000, immutable"
    assert css["ContentType"].startswith("text/css")
    page = headers("c/t/index.html")
    assert page["CacheControl"] == "no-cache" and page["ContentType"].startswith("text/html")
    assert headers("c/t/invoices/INV-1.ics")["ContentType"].startswith("text/calendar")


def test_only_changed_ledger_entries_are_written() -> None:
    new = {"INV-1": {"total": 100}, "INV-2": {"total": 200}, "INV-3": {"total": 300}}
    old = {"INV-1": {"total": 100}, "INV-2": {"total": 250}}
    assert changed_entries(new, old) == {"INV-2": {"total": 200}, "INV-3": {"total": 300}}
    assert changed_entries(new, None) == new
    assert changed_entries(new, new) == {}


VALUES: dict[str, dict[str, Any]] = {
    "AWS::StackName": {"Ref": "s"},
    "AWS::Region": {"Ref": "eu-west-1"},
    "Bucket": {"Ref": "b", "Arn": "arn:aws:s3:::b"},
}


def test_resolve_evaluates_ref_getatt_sub_and_join() -> None:
    value = {
        "a": {"Ref": "Bucket"},
        "b": {"Fn::GetAtt": ["Bucket", "Arn"]},
        "c": {"Fn::Sub": "${AWS::StackName}-${Bucket.Arn}/* ${!Literal}"},
        "d": {"Fn::Join": ["-", [{"Ref": "AWS::Region"}, "x"]]},
        "e": {"Fn::Sub": ["${Name}!", {"Name": {"Ref": "Bucket"}}]},
    }
    assert intrinsics.resolve(value, VALUES) == {
        "a": "b",
        "b": "arn:aws:s3:::b",
        "c": "s-arn:aws:s3:::b/* ${Literal}",
        "d": "eu-west-1-x",
        "e": "b!",
    }


def test_resolve_names_what_is_not_known_yet() -> None:
    with pytest.raises(intrinsics.Unresolved) as caught:
        intrinsics.resolve({"Fn::Sub": "${Later.Arn}"}, VALUES)
    assert caught.value.logical_id == "Later"


def test_substitute_replaces_only_the_given_resources() -> None:
    value = {
        "Env": {"Ref": "Distribution"},
        "Other": {"Ref": "Table"},
        "Url": {"Fn::Sub": "https://${Distribution.DomainName}/${Table}"},
    }
    made = {"Distribution": {"Ref": "E123", "DomainName": "d.cloudfront.net"}}
    assert intrinsics.substitute(value, made) == {
        "Env": "E123",
        "Other": {"Ref": "Table"},
        "Url": {"Fn::Sub": "https://d.cloudfront.net/${Table}"},
    }
    assert intrinsics.references(value) == {"Distribution", "Table"}


def test_a_distribution_config_in_the_apis_shape_leaves_skipped_policies_out() -> None:
    cfn = {
        "Comment": "c",
        "Enabled": True,
        "IPV6Enabled": True,
        "Origins": [{"Id": "site", "DomainName": "b.s3.eu-west-1.amazonaws.com", "X": SKIPPED}],
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["GET", "HEAD"],
            "CachePolicyId": SKIPPED,
        },
        "CacheBehaviors": [{"PathPattern": "assets/*", "TargetOriginId": "site"}],
    }
    config = distribution_config(cfn, "ref")
    assert config["CallerReference"] == "ref" and config["IsIPV6Enabled"] is True
    assert config["Origins"] == {
        "Quantity": 1,
        "Items": [{"Id": "site", "DomainName": "b.s3.eu-west-1.amazonaws.com"}],
    }
    default = config["DefaultCacheBehavior"]
    assert "CachePolicyId" not in default
    assert default["AllowedMethods"]["Quantity"] == 2
    assert default["AllowedMethods"]["CachedMethods"] == {"Quantity": 2, "Items": ["GET", "HEAD"]}
    assert config["CacheBehaviors"]["Quantity"] == 1
