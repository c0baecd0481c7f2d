"""A clone of the project carries the documents its README sends readers to (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_points_only_inside_the_repository():
    assert "../shared" not in README and "shared/DESIGN.md" not in README
    assert not re.search(r"\bspec §\d", README), "spec sections must name a document of the repository"
    for doc in ("docs/design.md", "docs/statement-formats.md"):
        assert f"]({doc})" in README
        assert (ROOT / doc).stat().st_size > 10_000


def test_the_first_screen_keeps_the_two_commands_and_deploying_is_written_down():
    first_screen = "\n".join(README.splitlines()[:10])
    assert "make demo" in first_screen and "make test" in first_screen
    deploy = README.split("## Deploy and run on AWS", 1)[1].split("\n## ", 1)[0]
    for step in ("sam build", "sam deploy", "admin-create-user", "admin-initiate-auth", "Bearer $TOKEN",
                 "/uploads", "Secrets Manager", "Step Functions", "DynamoDB", "capacity-and-cost.md"):
        assert step in deploy, step


def test_the_token_flow_the_readme_shows_is_allowed_by_the_template():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=Loader)
    flows = template["Resources"]["UserPoolClient"]["Properties"]["ExplicitAuthFlows"]
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in flows
