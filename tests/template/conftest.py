"""The template as CloudFormation sees it, computed offline once per session."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from binsync_local.cloud import load_asl
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _NoIamPolicyLoader:
    """The translator's managed-policy loader, never calling IAM (names are bundled)."""

    def load(self) -> dict[str, str]:
        return {}


def asl_text(props: dict[str, Any]) -> str:
    return (ROOT / props["DefinitionUri"]).read_text()


def asl_definition(template: dict[str, Any], logical_id: str = "SyncStateMachine") -> dict[str, Any]:
    """The ASL with placeholders filled as CloudFormation would (ARNs stay recognisable)."""
    props = template["Resources"][logical_id]["Properties"]
    subs = {name: f"placeholder-{name}" for name in props.get("DefinitionSubstitutions", {})}
    subs["MaxConcurrency"] = "40"
    subs["MapChildExecutionType"] = "EXPRESS"
    return load_asl(asl_text(props), subs)


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="session")
def cfn(sam_template: dict[str, Any]) -> dict[str, Any]:
    """aws-sam-translator's CloudFormation output. The bare translator accepts only s3:// code
    locations (sam package rewrites them), so local folders become fake s3 URIs and the ASL is
    inlined as Definition; everything else is the real template."""
    doc = copy.deepcopy(sam_template)
    for logical_id, res in doc["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = f"s3://local-artifacts/{logical_id}.zip"
        elif res["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://local-artifacts/{logical_id}.zip"
        elif res["Type"] == "AWS::Serverless::StateMachine":
            props["Definition"] = asl_definition(sam_template, logical_id)
            props.pop("DefinitionUri")
    params = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
    return json.loads(json.dumps(transform(doc, params, _NoIamPolicyLoader())))
