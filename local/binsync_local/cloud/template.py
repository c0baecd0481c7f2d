"""Read template.yaml and resolve it the way CloudFormation would for one local stack.

Only what the project's template uses is supported: parameters with defaults, pseudo parameters,
`Ref`, `Fn::GetAtt`, `Fn::Sub` (both forms), `Fn::Join`, `Fn::Select`, `Fn::If`-free templates,
SAM `Globals`. Physical names are deterministic (`<stack>-<LogicalId>` unless the template names
the resource), so they are known before anything is created and resolution never depends on
creation order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"
_SUB_VAR = re.compile(r"\$\{([^}!]+)\}")


@dataclass(frozen=True)
class Physical:
    """What a logical id became: its CloudFormation type, name (Ref value) and ARN."""

    type: str
    name: str
    arn: str | None = None


@lru_cache(maxsize=8)
def _parse(path: str, mtime: float) -> dict[str, Any]:
    return yaml_parse(Path(path).read_text())


def load_template(path: Path) -> dict[str, Any]:
    """Parsed template (cached per file version; callers must not mutate it)."""
    return _parse(str(path), path.stat().st_mtime)


def load_asl(text: str, substitutions: dict[str, str]) -> dict[str, Any]:
    """Apply DefinitionSubstitutions like CloudFormation (textual `${Name}`), then parse.

    Substituting before parsing lets numeric placeholders (`"MaxConcurrency": ${MaxConcurrency}`)
    work, exactly as on AWS. An unknown placeholder is an error, not a silent literal.
    """

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            raise KeyError(f"ASL placeholder ${{{name}}} has no DefinitionSubstitutions entry")
        return str(substitutions[name])

    return json.loads(_SUB_VAR.sub(repl, text))


@dataclass
class StackContext:
    """One stack's identity plus the resolver for intrinsic functions."""

    template: dict[str, Any]
    stack_name: str = "binsync"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    parameter_overrides: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        self.parameters: dict[str, str] = {}
        for name, spec in self.template.get("Parameters", {}).items():
            value = self.parameter_overrides.get(name, spec.get("Default"))
            if value is None:
                raise ValueError(f"template parameter {name} has no default and no override")
            self.parameters[name] = str(value)
        unknown = set(self.parameter_overrides) - set(self.parameters)
        if unknown:
            raise ValueError(f"unknown template parameters: {sorted(unknown)}")
        self._physical: dict[str, Physical] = {}

    # ------------------------------------------------------------------ names
    @property
    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackId":
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
        }

    def physical(self, logical_id: str) -> Physical:
        if logical_id not in self._physical:
            self._physical[logical_id] = self._make_physical(logical_id)
        return self._physical[logical_id]

    def _make_physical(self, logical_id: str) -> Physical:
        spec = self.resources[logical_id]
        rtype = spec["Type"]
        props = spec.get("Properties", {})
        r, a = self.region, self.account_id
        default = f"{self.stack_name}-{logical_id}"

        def named(prop: str) -> str:
            return str(self.resolve(props[prop])) if prop in props else default

        if rtype == "AWS::Serverless::Function":
            name = named("FunctionName")
            return Physical(rtype, name, f"arn:aws:lambda:{r}:{a}:function:{name}")
        if rtype == "AWS::DynamoDB::Table":
            name = named("TableName")
            return Physical(rtype, name, f"arn:aws:dynamodb:{r}:{a}:table/{name}")
        if rtype == "AWS::S3::Bucket":
            name = named("BucketName").lower()
            return Physical(rtype, name, f"arn:aws:s3:::{name}")
        if rtype == "AWS::Serverless::StateMachine":
            name = named("Name")
            arn = f"arn:aws:states:{r}:{a}:stateMachine:{name}"
            return Physical(rtype, arn, arn)  # Ref of a state machine is its ARN
        if rtype == "AWS::SQS::Queue":
            name = named("QueueName")
            return Physical(rtype, f"https://sqs.{r}.amazonaws.com/{a}/{name}", f"arn:aws:sqs:{r}:{a}:{name}")
        if rtype == "AWS::Serverless::LayerVersion":
            arn = f"arn:aws:lambda:{r}:{a}:layer:{default}:1"
            return Physical(rtype, arn, arn)
        if rtype == "AWS::Cognito::UserPool":
            pool_id = f"{r}_{self.stack_name}local"
            return Physical(rtype, pool_id, f"arn:aws:cognito-idp:{r}:{a}:userpool/{pool_id}")
        if rtype == "AWS::Logs::LogGroup":
            name = named("LogGroupName")
            return Physical(rtype, name, f"arn:aws:logs:{r}:{a}:log-group:{name}:*")
        # Anything else (API, client, policies): a stable opaque id is all local code needs.
        return Physical(rtype, default.lower(), None)

    def state_machine_name(self, logical_id: str) -> str:
        return self.physical(logical_id).arn.rsplit(":", 1)[1]  # type: ignore[union-attr]

    # ------------------------------------------------------------------ intrinsics
    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.physical(name).name
        raise KeyError(f"!Ref {name}: no such parameter, pseudo parameter or resource")

    def get_att(self, logical_id: str, attribute: str) -> str:
        phys = self.physical(logical_id)
        if attribute == "Arn" and phys.arn:
            return phys.arn
        if attribute == "Name" and phys.type == "AWS::Serverless::StateMachine":
            return self.state_machine_name(logical_id)
        if attribute in ("QueueName", "Name"):
            return phys.arn.rsplit(":", 1)[1] if phys.arn else phys.name
        raise KeyError(f"!GetAtt {logical_id}.{attribute} is not supported locally")

    def sub(self, text: str, variables: dict[str, Any] | None = None) -> str:
        variables = variables or {}

        def repl(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in variables:
                return str(self.resolve(variables[key]))
            if "." in key and key.split(".", 1)[0] in self.resources:
                return self.get_att(*key.split(".", 1))
            return self.ref(key)

        return _SUB_VAR.sub(repl, text)

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function inside `value` (returns a new structure)."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(parts[0], parts[1])
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg)
                return self.sub(arg[0], arg[1])
            if key == "Fn::Join":
                return str(arg[0]).join(str(self.resolve(v)) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key.startswith("Fn::"):
                raise KeyError(f"{key} is not supported by the local cloud")
        return {k: self.resolve(v) for k, v in value.items()}

    # ------------------------------------------------------------------ SAM helpers
    def of_type(self, rtype: str) -> list[str]:
        return [lid for lid, spec in self.resources.items() if spec["Type"] == rtype]

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's properties merged with Globals.Function (environment merged by key)."""
        globals_fn = dict(self.template.get("Globals", {}).get("Function", {}))
        props = dict(self.resources[logical_id].get("Properties", {}))
        merged = {**globals_fn, **props}
        env = {
            **globals_fn.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        merged["Environment"] = {"Variables": env}
        return merged
