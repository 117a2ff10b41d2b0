"""Notifications (issue 26): one message per run listing the new credentials, redacted, to webhooks on
127.0.0.1 that check each platform's signature as the platform does. Failure never changes the exit code;
the webhook URL (a secret) is never printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys
from tests.webhook_servers import Garbage, Webhook


@pytest.fixture
def hooks() -> Iterator[dict[str, Webhook]]:
    servers = {
        "dingtalk": Webhook("dingtalk", secret="SEC" + "d1ng7a1k5ecre7"),
        "feishu": Webhook("feishu", secret="fe1shu-secret"),
        "wecom": Webhook("wecom"),
        "slack": Webhook("slack"),
        "webhook": Webhook("webhook", secret="hmac-secret"),
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


def leaks(folder: Path, keys: FakeKeys, count: int = 2) -> list[tuple[str, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    pairs = [(keys.alibaba_id(), keys.alibaba_secret()) for _ in range(count)]
    for index, (key_id, secret) in enumerate(pairs):
        (folder / f"app{index}.py").write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    return pairs


def secrets_env(hooks: dict[str, Webhook]) -> dict[str, str]:
    return {
        "AKSCAN_DINGTALK_SECRET": hooks["dingtalk"].secret or "",
        "AKSCAN_FEISHU_SECRET": hooks["feishu"].secret or "",
        "AKSCAN_NOTIFY_SECRET": hooks["webhook"].secret or "",
        "AKSCAN_NOTIFY_URL": "",
    }


def test_a_signed_dingtalk_message_lists_the_new_keys_redacted(
    hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path
) -> None:
    pairs = leaks(tmp_path / "repo", keys)
    hook = hooks["dingtalk"]
    result = run_akscan(
        "scan", str(tmp_path / "repo"), "--format", "json", "--notify", f"dingtalk={hook.url}", env=secrets_env(hooks)
    )
    assert result.code == 1, result.err
    assert hook.refused == [] and len(hook.received) == 1
    message = hook.received[0].json
    assert message["markdown"]["title"] == "akscan: 2 new leaked credentials (2 alibaba)"
    text = message["markdown"]["text"]
    for key_id, secret in pairs:
        assert f"`{key_id}`" in text and secret not in text and f"`{secret[:4]}" in text
    assert "first: " in text and "app0.py:1" in text
    notifications = json.loads(result.out)["summary"]["notifications"]
    assert notifications == [{"target": "dingtalk #1 (127.0.0.1)", "status": "sent", "attempts": 1, "credentials": 2}]
    assert hook.token not in result.out + result.err and hook.url not in result.out + result.err


def test_every_platform_by_prefix_or_format(hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path) -> None:
    pairs = leaks(tmp_path / "repo", keys, 1)
    args = [f"{name}={hook.url}" for name, hook in hooks.items()]
    result = run_akscan(
        "scan", str(tmp_path / "repo"), *(a for arg in args for a in ("--notify", arg)), env=secrets_env(hooks)
    )
    assert result.code == 1, result.err
    for name, hook in hooks.items():
        assert hook.refused == [] and len(hook.received) == 1, (name, hook.refused)
        assert pairs[0][0] in hook.received[0].text and pairs[0][1] not in hook.received[0].body.decode()
        assert f"notified {name} #" in result.err
    generic = hooks["webhook"].received[0].json
    report = json.loads(run_akscan("scan", str(tmp_path / "repo"), "--format", "json").out)
    assert generic["findings"] == report["findings"] and generic["new"] == 1
    # with --notify-format, a URL without a prefix
    hooks["slack"].received.clear()
    again = run_akscan("scan", str(tmp_path / "repo"), "--notify", hooks["slack"].url, "--notify-format", "slack")
    assert again.code == 1 and len(hooks["slack"].received) == 1


def test_a_wrong_signing_secret_fails_but_never_the_scan(
    hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path
) -> None:
    leaks(tmp_path / "repo", keys, 1)
    env = {**secrets_env(hooks), "AKSCAN_FEISHU_SECRET": "not-the-bots-secret"}
    hook = hooks["feishu"]
    result = run_akscan("scan", str(tmp_path / "repo"), "--format", "json", "--notify", f"feishu={hook.url}", env=env)
    assert result.code == 1 and hook.received == [] and hook.refused == ["sign match fail"] * 3
    assert "the notification to feishu #1 (127.0.0.1) failed after 3 tries (error 19021" in result.err
    [outcome] = json.loads(result.out)["summary"]["notifications"]
    assert outcome["status"] == "failed" and outcome["attempts"] == 3
    assert hook.token not in result.err + result.out


def test_retries_on_500_and_429_then_sends(hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path) -> None:
    leaks(tmp_path / "repo", keys, 1)
    hook = hooks["slack"]
    hook.fail_next = [500, 429]
    hook.retry_after = "0"
    result = run_akscan("scan", str(tmp_path / "repo"), "--format", "json", "--notify", f"slack={hook.url}")
    assert result.code == 1 and len(hook.received) == 1 and hook.refused == ["HTTP 500", "HTTP 429"]
    [outcome] = json.loads(result.out)["summary"]["notifications"]
    assert outcome["status"] == "sent" and outcome["attempts"] == 3


def test_a_dead_webhook_keeps_the_scans_exit_code(keys: FakeKeys, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    leaks(tmp_path / "repo", keys, 1)
    url = f"http://127.0.0.1:{port}/robot/send?access_token=dead-token"
    result = run_akscan("scan", str(tmp_path / "repo"), "--notify", f"dingtalk={url}")
    assert result.code == 1 and "notification to dingtalk #1 (127.0.0.1) failed after 3 tries" in result.err
    assert "dead-token" not in result.err + result.out
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "readme.md").write_text("nothing here\n")
    quiet = run_akscan("scan", str(clean), "--format", "json", "--notify", f"dingtalk={url}")
    assert quiet.code == 0 and json.loads(quiet.out)["summary"]["notifications"][0]["status"] == "nothing new"


def test_hostile_names_reach_nobody_and_link_nowhere(hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    name = "<!channel> [login](https:evil.example) <at id=all> `x`.py"
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    (folder / name).write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    args = ["--notify", f"slack={hooks['slack'].url}", "--notify", f"feishu={hooks['feishu'].url}"]
    assert run_akscan("scan", str(folder), *args, env=secrets_env(hooks)).code == 1
    for platform in ("slack", "feishu"):
        text = hooks[platform].received[0].text
        assert "<!channel>" not in text and "<at id=all>" not in text and "](https:evil" not in text
        assert "‹!channel›" in text  # still readable


def test_the_baseline_and_a_range_are_not_new(hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    old_id, old_secret = keys.alibaba_id(), keys.alibaba_secret()
    base = repo.commit("old", old_py=f"auth = oss2.Auth('{old_id}', '{old_secret}')\n")
    assert run_akscan("baseline", "create", ".", cwd=repo.path).code == 0
    hook = hooks["wecom"]
    nothing = run_akscan("scan", ".", "--format", "json", "--notify", f"wecom={hook.url}", cwd=repo.path)
    assert nothing.code == 0 and hook.received == []
    assert json.loads(nothing.out)["summary"]["notifications"] == [{"status": "nothing new", "targets": 1}]
    new_id, new_secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.commit("new", new_py=f"auth = oss2.Auth('{new_id}', '{new_secret}')\n")
    ranged = run_akscan(
        "git", ".", "--range", f"{base}..HEAD", "--no-config", "--notify", f"wecom={hook.url}", cwd=repo.path
    )
    assert ranged.code == 1 and len(hook.received) == 1
    text = hook.received[0].text
    assert new_id in text and old_id not in text and "commit `" in text and "by `Alice Author`" in text


def test_wecom_messages_stay_within_4096_bytes(hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path) -> None:
    pairs = leaks(tmp_path / "repo", keys, 30)
    hook = hooks["wecom"]
    assert run_akscan("scan", str(tmp_path / "repo"), "--notify", f"wecom={hook.url}").code == 1
    assert hook.refused == [] and len(hook.received) == 1
    content = hook.received[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096 and "akscan: 30 new leaked credentials" in content
    listed = sum(key_id in content for key_id, _ in pairs)
    assert 1 <= listed <= 10 and f"and {30 - listed} more" in content


def test_urls_come_from_the_environment_and_a_trusted_config(
    hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path
) -> None:
    leaks(tmp_path / "repo", keys, 1)
    slack, dingtalk = hooks["slack"], hooks["dingtalk"]
    env = {**secrets_env(hooks), "AKSCAN_NOTIFY_URL": slack.url, "TEAM_ROBOT": f"dingtalk={dingtalk.url}"}
    env["AKSCAN_NOTIFY_URL"] = f"slack={slack.url}"
    config = tmp_path / "team.toml"
    config.write_text('notify = ["$TEAM_ROBOT"]\n')
    result = run_akscan("scan", str(tmp_path / "repo"), "--config", str(config), env=env)
    assert result.code == 1 and len(slack.received) == 1 and len(dingtalk.received) == 1
    # a config inside the scanned tree (not the current folder's) does not choose where reports go
    (tmp_path / "repo" / ".akscan.toml").write_text(f'notify = ["dingtalk={dingtalk.url}"]\n')
    inside = run_akscan("scan", str(tmp_path / "repo"), env=secrets_env(hooks), cwd=tmp_path / "repo" / "..")
    assert inside.code == 1 and len(dingtalk.received) == 1
    assert "is ignored: a config inside the scanned tree does not choose where reports go" in inside.err
    # the hook never notifies, whatever the environment says
    repo = Repo(tmp_path / "hooked")
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.write("app.py", f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    repo.git("add", "app.py")
    hooked = run_akscan("hook", cwd=repo.path, env={"AKSCAN_NOTIFY_URL": f"slack={slack.url}"})
    assert hooked.code == 1 and len(slack.received) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://files.example/hook?token=s3cr3t", "must be an https:// URL"),
        ("http://hooks.example.com/x?token=s3cr3t", "hooks.example.com: plain http only to a loopback host"),
        ("https://user:s3cr3t@hooks.example.com/x", "a user name or password in the URL is refused"),
    ],
)
def test_bad_targets_are_one_line_errors_that_do_not_print_the_url(tmp_path: Path, value: str, message: str) -> None:
    result = run_akscan("scan", str(tmp_path), "--notify", value)
    assert result.code == 2 and message in result.err and "s3cr3t" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_fleet_announces_only_what_the_previous_run_did_not_report(
    hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path, dask_scheduler: str
) -> None:
    """On a LocalCluster: one signed DingTalk message and one Slack message listing exactly the fleet's
    credentials; the same fleet again sends nothing; a key added since is the only one announced."""
    pytest.importorskip("distributed")
    shared = (keys.alibaba_id(), keys.alibaba_secret())
    repos = []
    for index in range(2):
        repo = Repo(tmp_path / f"r{index}")
        own = (keys.alibaba_id(), keys.alibaba_secret())
        repo.commit(
            "c",
            a_py=f"auth = oss2.Auth('{shared[0]}', '{shared[1]}')\n",
            b_py=f"x = oss2.Auth('{own[0]}', '{own[1]}')\n",
        )
        repos.append((repo, own))
    dingtalk, slack = hooks["dingtalk"], hooks["slack"]
    args = [
        "fleet",
        *(str(r.path) for r, _ in repos),
        "--scheduler",
        dask_scheduler,
        "--results",
        str(tmp_path / "results"),
    ]
    args += ["--format", "json", "--notify", f"dingtalk={dingtalk.url}", "--notify", f"slack={slack.url}"]
    env = secrets_env(hooks)
    first = run_akscan(*args, env=env, process=True, timeout=300)
    assert first.code == 1, first.err
    expected = {shared[0], *(own[0] for _, own in repos)}
    for hook in (dingtalk, slack):
        assert hook.refused == [] and len(hook.received) == 1
        text = hook.received[0].text
        assert {k for k in expected if k in text} == expected and "3 new leaked credentials" in text
        assert all(secret not in text for secret in (shared[1], *(own[1] for _, own in repos)))
    summary = json.loads(first.out)["summary"]
    assert [n["status"] for n in summary["notifications"]] == ["sent", "sent"]
    assert dingtalk.token not in first.out + first.err
    second = run_akscan(*args, env=env, process=True, timeout=300)
    assert second.code == 1 and len(dingtalk.received) == len(slack.received) == 1
    assert json.loads(second.out)["summary"]["notifications"] == [{"status": "nothing new", "targets": 2}]
    added = (keys.alibaba_id(), keys.alibaba_secret())
    repos[1][0].commit("more", c_py=f"y = oss2.Auth('{added[0]}', '{added[1]}')\n")
    third = run_akscan(*args, env=env, process=True, timeout=300)
    assert third.code == 1 and len(slack.received) == 2
    latest = slack.received[1].text
    assert added[0] in latest and "1 new leaked credential" in latest and shared[0] not in latest


def test_a_scanned_trees_custom_rule_cannot_inject_markup(
    hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path
) -> None:
    """A config inside the scanned tree may define rules (it is said on stderr); their provider name and
    remediation text reach the message as inert text: no mention, no link."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".akscan.toml").write_text(
        "[[custom_rules]]\n"
        'id = "zz-key"\nprovider = "<!channel>"\nkind = "key-id"\nanchors = ["ZZKEY"]\n'
        'pattern = "(ZZKEY[A-Za-z0-9]{20})"\nmin_entropy = 3.0\nlone_severity = "high"\ndescription = "a ZZ key"\n'
        'remediation = "Log in at [the console](https://evil.example/phish) <at id=all> to rotate."\n'
    )
    (tree / "app.txt").write_text("token = ZZKEYZx8Qp2Lm4Nv6Bc1Df3Gh5\n")
    args = ["--notify", f"slack={hooks['slack'].url}", "--notify", f"dingtalk={hooks['dingtalk'].url}"]
    result = run_akscan("scan", str(tree), *args, env=secrets_env(hooks), cwd=tmp_path)
    assert result.code == 1, result.err
    for platform in ("slack", "dingtalk"):
        [message] = hooks[platform].received
        text = message.text
        assert "<!channel>" not in text and "<at id=all>" not in text, text
        assert "](https://evil" not in text and "https://evil" not in text and "[the console]" not in text
        assert "1 new leaked credential (1 other)" in text


def test_a_webhook_that_answers_garbage_fails_without_harm(keys: FakeKeys, tmp_path: Path) -> None:
    leaks(tmp_path / "repo", keys, 1)
    server = Garbage()
    try:
        url = f"http://127.0.0.1:{server.port}/hooks/garbage-token"
        result = run_akscan("scan", str(tmp_path / "repo"), "--format", "json", "--notify", url)
    finally:
        server.stop()
    assert result.code == 1 and server.requests == 3
    [outcome] = json.loads(result.out)["summary"]["notifications"]
    assert outcome["status"] == "failed" and "garbage-token" not in result.out + result.err


def test_the_link_is_a_link(hooks: dict[str, Webhook], keys: FakeKeys, tmp_path: Path) -> None:
    leaks(tmp_path / "repo", keys, 1)
    link = "https://ci.example.com/acme/app/-/jobs/42"
    args = ["--notify", f"slack={hooks['slack'].url}", "--notify", f"wecom={hooks['wecom'].url}", "--notify-link", link]
    assert run_akscan("scan", str(tmp_path / "repo"), *args).code == 1
    assert f"<{link}|open the report>" in hooks["slack"].received[0].text
    assert f"[open the report]({link})" in hooks["wecom"].received[0].text


def test_a_config_names_variables_not_urls(tmp_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text('notify = ["https://hooks.slack.com/services/T0/B0/s3cr3t"]\n')
    result = run_akscan("scan", str(tmp_path), "--config", str(config))
    assert result.code == 2 and "the config's notify must name environment variables" in result.err
    assert "s3cr3t" not in result.err and len(result.err.strip().splitlines()) <= 2
