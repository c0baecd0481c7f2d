"""The sync state machine's graph: what neither cfn-lint nor moto checks at create time."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import ROOT, asl_definition

TERMINAL_TYPES = {"Succeed", "Fail"}


def scopes(machine: dict[str, Any], path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """The machine and every nested state machine (Map ItemProcessor/Iterator, Parallel branches)."""
    yield path, machine
    for name, state in machine["States"].items():
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from scopes(state[key], f"{path}.{name}.{key}")
        for i, branch in enumerate(state.get("Branches", [])):
            yield from scopes(branch, f"{path}.{name}.Branches[{i}]")


def targets(state: dict[str, Any]) -> list[str]:
    out = [state["Next"]] if "Next" in state else []
    out += [c["Next"] for c in state.get("Catch", [])]
    out += [c["Next"] for c in state.get("Choices", [])]
    if "Default" in state:
        out.append(state["Default"])
    return out


def error_names(machine: dict[str, Any]) -> set[str]:
    names = set()
    for _, scope in scopes(machine):
        for state in scope["States"].values():
            for rule in state.get("Retry", []) + state.get("Catch", []):
                names.update(rule["ErrorEquals"])
    return names


@pytest.fixture(scope="module")
def machine(sam_template: dict[str, Any]) -> dict[str, Any]:
    return asl_definition(sam_template)


def test_every_target_exists_and_every_state_is_reachable(machine: dict[str, Any]) -> None:
    for path, scope in scopes(machine):
        states = scope["States"]
        assert scope["StartAt"] in states, f"{path}: StartAt {scope['StartAt']} missing"
        for name, state in states.items():
            for target in targets(state):
                assert target in states, f"{path}.{name}: target {target} does not exist in its scope"
            ends = state.get("End") is True or state["Type"] in TERMINAL_TYPES | {"Choice"}
            assert ends != ("Next" in state), f"{path}.{name}: needs exactly one of Next / End"
        seen, todo = set(), [scope["StartAt"]]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(targets(states[name]))
        assert seen == set(states), f"{path}: unreachable states {sorted(set(states) - seen)}"


def test_map_fans_out_over_lambda_workers(machine: dict[str, Any]) -> None:
    maps = [s for _, scope in scopes(machine) for s in scope["States"].values() if s["Type"] == "Map"]
    assert maps, "the sync must fan out with a Map state"
    inner = [s for m in maps for s in (m.get("ItemProcessor") or m["Iterator"])["States"].values()]
    calls = [str(s.get("Parameters", s.get("Resource"))) for s in inner]
    assert any("placeholder-FetchWindowFunctionArn" in call for call in calls)


def test_custom_errors_are_exception_classes_of_the_shared_package(machine: dict[str, Any]) -> None:
    """Retry/Catch match the Lambda runtime's errorType, the bare class name: every custom name
    in the ASL must be a class the binsync package can actually raise."""
    defined = set()
    for source in (ROOT / "layers/shared/binsync").rglob("*.py"):
        tree = ast.parse(source.read_text())
        defined |= {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    aws_names = ("States.", "Lambda.", "Sandbox.", "Runtime.")
    custom = {n for n in error_names(machine) if not n.startswith(aws_names)}
    assert custom, "the workflow should retry/catch the domain's own errors"
    assert custom <= defined, f"ASL names errors no binsync class has: {sorted(custom - defined)}"


def test_a_lambda_timeout_is_retried_under_both_of_its_names(machine: dict[str, Any]) -> None:
    """Step Functions documents a function timeout as `Lambda.Unknown`; the Lambda runtime now
    reports its errorType as `Sandbox.Timedout` (Lambda troubleshooting guide, "Sandbox.Timedout"),
    which Step Functions passes through as the error name. Every retrier of one retries both."""
    retriers = [rule for _, scope in scopes(machine) for state in scope["States"].values()
                for rule in state.get("Retry", []) if "Lambda.Unknown" in rule["ErrorEquals"]]
    assert retriers
    assert all("Sandbox.Timedout" in rule["ErrorEquals"] for rule in retriers)


def test_a_worker_crash_is_retried_inside_its_run(machine: dict[str, Any]) -> None:
    """A worker whose process dies (out of memory, a signal) ends with the runtime's
    `Runtime.ExitError`, which Step Functions passes through as the error name. The fetch is
    idempotent and checkpointed, so every retrier of a Lambda timeout retries a crash too: the
    crash stays inside one run instead of failing it SyncIncomplete until the next sync."""
    retriers = [rule for _, scope in scopes(machine) for state in scope["States"].values()
                for rule in state.get("Retry", []) if "Sandbox.Timedout" in rule["ErrorEquals"]]
    assert len(retriers) == 2  # FetchWindow in the inline and in the distributed Map
    assert all("Runtime.ExitError" in rule["ErrorEquals"] for rule in retriers)


def test_a_state_timeout_never_loses_a_sync(machine: dict[str, Any]) -> None:
    """`States.Timeout` (a Task past its TimeoutSeconds or HeartbeatSeconds; Step Functions'
    error-handling guide) must not end a sync silently: the fetch workers retry it with the
    Lambda timeouts (the work resumes from its checkpoint), and every other Task that can fail
    hands every error (States.ALL) to a state that records it on the run. A Task that sets a
    timeout of its own retries or catches States.Timeout."""
    fetchers = 0
    for where, scope in scopes(machine):
        for name, state in scope["States"].items():
            if state.get("Type") != "Task":
                continue
            retried = {e for rule in state.get("Retry", []) for e in rule["ErrorEquals"]}
            caught = {e for rule in state.get("Catch", []) for e in rule["ErrorEquals"]}
            if "Sandbox.Timedout" in retried:  # a worker whose Lambda timeout is retried
                fetchers += 1
                assert "States.Timeout" in retried, f"{where}.{name}"
            if "TimeoutSeconds" in state or "HeartbeatSeconds" in state:
                assert {"States.Timeout", "States.ALL"} & (retried | caught), f"{where}.{name}"
            if name != "RecordFailure":  # the recorder itself ends in Failed
                assert "States.ALL" in caught or "States.Timeout" in retried, f"{where}.{name}"
    assert fetchers == 2  # FetchWindow in the inline and in the distributed Map
