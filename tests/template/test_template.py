"""template.yaml, checked offline: lint, SAM expansion, tables = models, least privilege."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from binsync.storage import models
from cfnlint.api import ManualArgs, lint

from .conftest import ROOT, TEMPLATE, asl_definition

FUNCTIONS = {
    "ApiFunction": "api",
    "PlanSyncFunction": "plan_sync",
    "FetchWindowFunction": "fetch_window",
    "FinishSyncFunction": "finish_sync",
    "ParseStatementFunction": "parse_statement",
    "ScheduleResyncFunction": "schedule_resync",
    "OnSyncFailedFunction": "on_sync_failed",
}
TABLE_ENV = {
    "ConnectionsTable": "CONNECTIONS_TABLE",
    "RunsTable": "RUNS_TABLE",
    "TasksTable": "TASKS_TABLE",
    "TransactionsTable": "TRANSACTIONS_TABLE",
    "AnnotationsTable": "ANNOTATIONS_TABLE",
    "UploadsTable": "UPLOADS_TABLE",
    "IdempotencyTable": "IDEMPOTENCY_TABLE",
    "CoverageTable": "COVERAGE_TABLE",
}
# Regions binsync deploys to (cfn-lint checks resource availability per region).
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]
SECRET_PATH = ("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
               ":secret:binsync/${Stage}/users/*")

# The DynamoDB access each function needs ("crud" or "read"); anything more is a finding.
DYNAMO_ACCESS = {
    "ApiFunction": {"ConnectionsTable": "crud", "RunsTable": "crud", "TasksTable": "read",
                    "TransactionsTable": "crud", "AnnotationsTable": "crud", "UploadsTable": "crud",
                    "IdempotencyTable": "crud", "CoverageTable": "crud"},
    # The sync workers reach the transactions table only through the tenant role (below).
    "PlanSyncFunction": {"ConnectionsTable": "read", "RunsTable": "crud", "TasksTable": "crud",
                         "IdempotencyTable": "crud", "CoverageTable": "crud"},
    "FetchWindowFunction": {"ConnectionsTable": "read", "RunsTable": "crud", "TasksTable": "crud",
                            "IdempotencyTable": "crud"},
    "FinishSyncFunction": {"ConnectionsTable": "crud", "RunsTable": "crud", "TasksTable": "read",
                           "IdempotencyTable": "crud", "CoverageTable": "crud"},
    "ParseStatementFunction": {"ConnectionsTable": "crud", "TransactionsTable": "crud",
                               "UploadsTable": "crud", "IdempotencyTable": "crud", "CoverageTable": "crud",
                               "RunsTable": "read", "TasksTable": "read"},
    "ScheduleResyncFunction": {"ConnectionsTable": "read", "RunsTable": "crud", "IdempotencyTable": "crud"},
    "OnSyncFailedFunction": {"ConnectionsTable": "crud", "RunsTable": "crud", "IdempotencyTable": "crud"},
}
SECRET_ACTIONS = {
    "ApiFunction": {"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
                    "secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret",
                    "secretsmanager:TagResource"},
    # the reconciliation after a statement import reads the key (statement/upload.py)
    "ParseStatementFunction": {"secretsmanager:GetSecretValue"},
}
# Sync workers reach secrets only through the tenant role (one user per session).
TENANT_ROLE_ARN = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-tenant"
TENANT_ASSUMERS = {"PlanSyncFunction", "FetchWindowFunction", "FinishSyncFunction"}
BUCKET_ARN = "arn:${AWS::Partition}:s3:::binsync-${Stage}-uploads-${AWS::AccountId}-${AWS::Region}"
# S3 access per function: (action, object prefix); a bucket-level ListBucket must be limited to a
# prefix by condition, written ("s3:ListBucket", "?<prefix>").
S3_ACCESS = {
    "ApiFunction": {("s3:PutObject", "uploads/*"), ("s3:GetObject", "uploads/*"),
                    ("s3:GetObject", "bodies/*"), ("s3:DeleteObject", "bodies/*"),
                    ("s3:DeleteObjectVersion", "bodies/*"), ("s3:ListBucketVersions", "?bodies/*"),
                    # run summaries over an item (storage.documents): read, deleted with the connection
                    ("s3:GetObject", "documents/*"), ("s3:DeleteObject", "documents/*"),
                    ("s3:DeleteObjectVersion", "documents/*"), ("s3:ListBucketVersions", "?documents/*")},
    "PlanSyncFunction": {("s3:PutObject", "plans/*"), ("s3:GetObject", "reference/*"),
                         ("s3:PutObject", "reference/*"), ("s3:ListBucket", "?reference/*")},
    "FetchWindowFunction": {("s3:GetObject", "reference/*"), ("s3:PutObject", "bodies/*")},
    "FinishSyncFunction": {("s3:PutObject", "documents/*"), ("s3:GetObject", "documents/*")},
    "ParseStatementFunction": {("s3:GetObject", "uploads/*"), ("s3:GetObjectVersion", "uploads/*"),
                               ("s3:PutObject", "bodies/*"), ("s3:PutObject", "documents/*"),
                               ("s3:GetObject", "documents/*")},
}
ALLOWED_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


def render(value: Any) -> str:
    """An IAM resource as readable text: Refs become the logical id, Subs are filled."""
    if isinstance(value, str):
        return value
    (key, arg), = value.items()
    if key == "Ref":
        return arg
    if key == "Fn::GetAtt":
        return ".".join(arg)
    if key == "Fn::Sub":
        if isinstance(arg, str):
            return arg
        text, variables = arg
        for name, sub_value in variables.items():
            text = text.replace("${" + name + "}", render(sub_value))
        return text
    raise AssertionError(f"unexpected intrinsic {value}")


def s3_grants(cfn: dict[str, Any], role: str) -> set[tuple[str, str]]:
    """(action, object prefix) of a role's S3 statements; bucket-level ones as "?<s3:prefix>"."""
    grants = set()
    for policy in cfn["Resources"][role]["Properties"].get("Policies", []):
        for st in policy["PolicyDocument"]["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            for action in (a for a in actions if a.startswith("s3:")):
                resource = render(st["Resource"])
                if resource == BUCKET_ARN:
                    prefixes = st["Condition"]["StringLike"]["s3:prefix"]
                    grants |= {(action, f"?{p}") for p in prefixes}
                else:
                    assert resource.startswith(BUCKET_ARN + "/"), resource
                    grants.add((action, resource.removeprefix(BUCKET_ARN + "/")))
    return grants


def statements(cfn: dict[str, Any], role: str) -> list[tuple[set[str], set[str]]]:
    """(actions, resources) of every Allow statement of a role's inline policies."""
    out = []
    for policy in cfn["Resources"][role]["Properties"].get("Policies", []):
        for st in policy["PolicyDocument"]["Statement"]:
            assert st["Effect"] == "Allow"
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            out.append((set(actions), {render(r) for r in resources}))
    return out


# ---------------------------------------------------------------------------- lint and transform
def lint_findings(text: str) -> list[Any]:
    """cfn-lint errors and warnings (the API also returns informational I* rules)."""
    return [m for m in lint(text, config=ManualArgs(regions=REGIONS)) if m.rule.id[0] in "EW"]


def test_cfn_lint_reports_no_error_or_warning() -> None:
    findings = lint_findings(TEMPLATE.read_text())
    assert findings == [], "\n".join(str(m) for m in findings)


def test_state_machine_definition_passes_cfn_lint(sam_template: dict[str, Any]) -> None:
    # cfn-lint validates ASL (E3601) only inline in AWS::StepFunctions::StateMachine.
    wrapper = {"Resources": {"Sm": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "RoleArn": "arn:aws:iam::123456789012:role/sm", "Definition": asl_definition(sam_template)}}}}
    findings = lint_findings(json.dumps(wrapper))
    assert findings == [], "\n".join(str(m) for m in findings)


def test_sam_expands_every_trigger(cfn: dict[str, Any]) -> None:
    res = cfn["Resources"]
    for logical_id in FUNCTIONS:
        fn = res[logical_id]
        assert fn["Type"] == "AWS::Lambda::Function"
        assert fn["Properties"]["Runtime"] == "python3.12"
        assert fn["Properties"]["Handler"] == "app.lambda_handler"
        assert len(fn["Properties"]["Layers"]) == 1
    assert res["ScheduleResyncFunctionHourly"]["Type"] == "AWS::Scheduler::Schedule"
    target = res["ScheduleResyncFunctionHourly"]["Properties"]["Target"]
    assert "<aws.scheduler.scheduled-time>" in target["Input"]
    rule = res["OnSyncFailedFunctionSyncFailed"]["Properties"]
    assert rule["EventPattern"]["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert rule["EventPattern"]["detail"]["stateMachineArn"] == [{"Ref": "SyncStateMachine"}]
    notification, = res["UploadsBucket"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Function"] == {"Fn::GetAtt": ["ParseStatementFunction", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert res["ParseStatementFunctionUploadPermission"]["Properties"]["Principal"] == "s3.amazonaws.com"
    auth = res["RestApi"]["Properties"]["Body"]["securityDefinitions"]["CognitoAuthorizer"]
    assert auth["x-amazon-apigateway-authorizer"]["type"] == "cognito_user_pools"
    paths = res["RestApi"]["Properties"]["Body"]["paths"]
    assert set(paths) == {"/", "/{proxy+}"}
    for path in paths.values():
        assert path["x-amazon-apigateway-any-method"]["security"] == [{"CognitoAuthorizer": []}]


def test_functions_get_table_names_and_state_machine(cfn: dict[str, Any]) -> None:
    for logical_id in FUNCTIONS:
        env = cfn["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        for table, var in TABLE_ENV.items():
            assert env[var] == {"Ref": table}, (logical_id, var)
        assert env["SECRETS_PREFIX"] == {"Fn::Sub": "binsync/${Stage}"}
        assert "UPLOADS_BUCKET" in env and "BINSYNC_STACK" in env
        starts_syncs = logical_id in ("ApiFunction", "ScheduleResyncFunction", "OnSyncFailedFunction")
        assert ("SYNC_STATE_MACHINE_ARN" in env) == starts_syncs, logical_id


def test_state_machine_substitutes_function_arns(cfn: dict[str, Any]) -> None:
    props = cfn["Resources"]["SyncStateMachine"]["Properties"]
    subs = props["DefinitionSubstitutions"]
    for fn in ("PlanSyncFunction", "FetchWindowFunction", "FinishSyncFunction"):
        assert subs[f"{fn}Arn"] == {"Fn::GetAtt": [fn, "Arn"]}
    assert subs["MapChildExecutionType"] == "EXPRESS"
    asl = (ROOT / "statemachine/sync.asl.json").read_text()
    assert "ItemBatcher" not in asl, "moto cannot run ItemBatcher"
    assert "JSONata" not in asl, "moto runs JSONPath only"


# ---------------------------------------------------------------------------- tables = models
@pytest.mark.parametrize("model", models.ALL_MODELS, ids=lambda m: m.__name__)
def test_tables_match_the_pynamodb_models(sam_template: dict[str, Any], model: Any) -> None:
    suffix = model.Meta.table_name.rsplit("-", 1)[1]
    tables = {lid: r["Properties"] for lid, r in sam_template["Resources"].items()
              if r["Type"] == "AWS::DynamoDB::Table"}
    matching = [p for p in tables.values() if p["TableName"] == {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}]
    assert len(matching) == 1, f"no table named <stack>-{suffix}"
    props = matching[0]
    schema = model._get_schema()

    def keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
        return {k["KeyType"]: k["AttributeName"] for k in key_schema}

    assert keys(props["KeySchema"]) == keys(schema["key_schema"])
    template_gsis = {g["IndexName"]: (keys(g["KeySchema"]), g["Projection"]["ProjectionType"])
                     for g in props.get("GlobalSecondaryIndexes", [])}
    model_gsis = {g["index_name"]: (keys(g["key_schema"]), g["projection"]["ProjectionType"])
                  for g in schema["global_secondary_indexes"]}
    assert template_gsis == model_gsis
    attr_types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert attr_types == {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_idempotency_table_has_powertools_shape(sam_template: dict[str, Any]) -> None:
    props = sam_template["Resources"]["IdempotencyTable"]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


# ---------------------------------------------------------------------------- least privilege
@pytest.mark.parametrize("function", FUNCTIONS)
def test_secrets_are_reachable_only_under_the_per_user_path(cfn: dict[str, Any], function: str) -> None:
    granted: set[str] = set()
    for actions, resources in statements(cfn, f"{function}Role"):
        secret_actions = {a for a in actions if a.startswith("secretsmanager:")}
        if secret_actions:
            assert resources == {SECRET_PATH}, (function, resources)
            granted |= secret_actions
    assert granted == SECRET_ACTIONS.get(function, set())


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_has_only_the_access_it_needs(cfn: dict[str, Any], function: str) -> None:
    role = cfn["Resources"][f"{function}Role"]["Properties"]
    assert set(role["ManagedPolicyArns"]) <= ALLOWED_MANAGED
    dynamo: dict[str, str] = {}
    for actions, resources in statements(cfn, f"{function}Role"):
        assert "*" not in resources, (function, actions)
        assert not any(a.endswith(":*") or a == "*" for a in actions), (function, actions)
        services = {a.split(":")[0] for a in actions}
        assert len(services) == 1, f"{function}: one service per statement ({actions})"
        service = services.pop()
        if service == "dynamodb":
            tables = {re.search(r"table/(\w+)", r).group(1) for r in resources}  # type: ignore[union-attr]
            for table in tables:
                dynamo[table] = "crud" if "dynamodb:PutItem" in actions else "read"
        elif service == "s3":
            pass  # exact grants, prefix conditions included, checked below
        elif service == "states":
            for r in resources:
                assert "${AWS::StackName}-sync" in r or r.endswith("SyncStateMachine.Name"), r
            assert function in ("ApiFunction", "ScheduleResyncFunction", "OnSyncFailedFunction")
        elif service == "sts":
            assert function in TENANT_ASSUMERS, function
            assert actions == {"sts:AssumeRole", "sts:TagSession"} and resources == {TENANT_ROLE_ARN}
        elif service == "sqs":
            assert actions == {"sqs:SendMessage"} and resources == {"FailedEventsQueue.Arn"}
        else:
            assert service == "secretsmanager", f"{function}: unexpected {service} access"
    assert dynamo == DYNAMO_ACCESS[function]
    assert s3_grants(cfn, f"{function}Role") == S3_ACCESS.get(function, set())


def test_state_machine_invokes_only_its_three_functions(cfn: dict[str, Any]) -> None:
    invoked = set()
    for actions, resources in statements(cfn, "SyncStateMachineRole"):
        if "lambda:InvokeFunction" in actions:
            invoked |= resources
        else:
            assert not any(a.startswith("lambda:") for a in actions)
    assert invoked == {
        f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{fn}*"
        for fn in ("PlanSyncFunction", "FetchWindowFunction", "FinishSyncFunction")
    }


def test_uploads_bucket_is_private_encrypted_and_versioned(sam_template: dict[str, Any]) -> None:
    props = sam_template["Resources"]["UploadsBucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    deny, = sam_template["Resources"]["UploadsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_template_paths_exist(sam_template: dict[str, Any]) -> None:
    for logical_id, short in FUNCTIONS.items():
        props = sam_template["Resources"][logical_id]["Properties"]
        assert props["CodeUri"] == f"functions/{short}/"
        assert (ROOT / props["CodeUri"] / "app.py").is_file()
    assert (ROOT / "layers/shared/binsync/__init__.py").is_file()
    assert (ROOT / "layers/shared/requirements.txt").is_file()
    assert (ROOT / sam_template["Resources"]["SyncStateMachine"]["Properties"]["DefinitionUri"]).is_file()


def test_bucket_listing_is_limited_to_a_prefix(cfn: dict[str, Any]) -> None:
    """ListBucket names the whole bucket, so it must carry an s3:prefix condition."""
    listings = 0
    for name, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                if "s3:ListBucket" in actions:
                    listings += 1
                    prefixes = st.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
                    assert prefixes, (name, st)
                    assert all(p.endswith("/*") and p != "/*" for p in prefixes), (name, prefixes)
    assert listings >= 1


# ---------------------------------------------------------------------------- tenant isolation
def tenant_statements(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policy, = cfn["Resources"]["TenantRole"]["Properties"]["Policies"]
    return {st["Sid"]: st for st in policy["PolicyDocument"]["Statement"]}


def test_workers_assume_the_tenant_role_and_read_no_secret_themselves(cfn: dict[str, Any]) -> None:
    for function in TENANT_ASSUMERS:
        grants = statements(cfn, f"{function}Role")
        assert not any(a.startswith("secretsmanager:") for actions, _ in grants for a in actions)
        assert ({"sts:AssumeRole", "sts:TagSession"}, {TENANT_ROLE_ARN}) in grants
    role = cfn["Resources"]["TenantRole"]["Properties"]
    assert render(role["RoleName"]) == "${AWS::StackName}-tenant"
    for function in TENANT_ASSUMERS:
        variables = cfn["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert render(variables["TENANT_ROLE_ARN"]) == TENANT_ROLE_ARN


def test_only_the_sync_workers_may_assume_the_tenant_role_and_only_with_a_user_tag(
        cfn: dict[str, Any]) -> None:
    trust, = cfn["Resources"]["TenantRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Effect"] == "Allow"
    assert set(trust["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert {render(p) for p in trust["Principal"]["AWS"]} == {f"{f}Role.Arn" for f in TENANT_ASSUMERS}
    assert trust["Condition"]["StringLike"] == {"aws:RequestTag/user": "?*"}
    assert trust["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["user"]}


def test_a_tenant_session_reads_only_its_own_user_secrets(cfn: dict[str, Any]) -> None:
    statements_by_sid = tenant_statements(cfn)
    secrets = [st for st in statements_by_sid.values()
               if any(a.startswith("secretsmanager:") for a in st["Action"])]
    assert len(secrets) == 1
    assert secrets[0]["Action"] == ["secretsmanager:GetSecretValue"]
    # `${!x}` is CloudFormation's escape: the deployed policy holds the IAM variable ${x}.
    assert render(secrets[0]["Resource"]) == (
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
        ":secret:binsync/${Stage}/users/${!aws:PrincipalTag/user}/*")


def test_a_tenant_session_touches_only_items_keyed_by_its_user(cfn: dict[str, Any]) -> None:
    dynamo = [st for st in tenant_statements(cfn).values()
              if any(a.startswith("dynamodb:") for a in st["Action"])]
    assert len(dynamo) == 1
    st = dynamo[0]
    assert not any(a in ("dynamodb:Scan", "dynamodb:*") for a in st["Action"])  # a scan has no leading key
    assert {render(r) for r in st["Resource"]} == {
        "TransactionsTable.Arn", "ConnectionsTable.Arn",
        *(f"${{TransactionsTable.Arn}}/index/{index}" for index in ("by_id", "by_account", "by_file"))}
    # The user id itself, or an account key "<user id>#<uid>" (by_account, by_file); a tenant
    # session is never made for a user id holding * ? or # (tests/sync/test_tenant_scope.py).
    assert st["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [
        "${aws:PrincipalTag/user}", "${aws:PrincipalTag/user}#*"]}}


@pytest.mark.parametrize("table", ["TransactionsTable", "ConnectionsTable"])
def test_leading_keys_condition_matches_the_key_design(sam_template: dict[str, Any], table: str) -> None:
    """LeadingKeys is the partition key: it isolates a user only where that key is the user id
    (the table and by_id) or begins with it and "#" (the account key of by_account and by_file)."""
    props = sam_template["Resources"][table]["Properties"]
    hash_key, = (k["AttributeName"] for k in props["KeySchema"] if k["KeyType"] == "HASH")
    assert hash_key == "user_id"
    if table == "TransactionsTable":
        hashes = {i["IndexName"]: i["KeySchema"][0] for i in props["GlobalSecondaryIndexes"]}
        assert hashes["by_id"] == {"AttributeName": "user_id", "KeyType": "HASH"}
        # account keys are "<user id>#<uid>" (binsync.storage.models.account_key)
        assert hashes["by_account"] == {"AttributeName": "account_key", "KeyType": "HASH"}
        assert hashes["by_file"] == {"AttributeName": "file_account_key", "KeyType": "HASH"}
        from binsync.storage.models import account_key
        assert account_key("user-a", "777") == "user-a#777"
