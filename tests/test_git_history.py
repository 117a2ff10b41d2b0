"""History scans against real repositories built with git: each asserts the finding and the commit
that introduced it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys


def pair(keys: FakeKeys) -> tuple[str, str, str]:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    return key_id, secret, f"auth = oss2.Auth('{key_id}', '{secret}')\n"


def history(repo: Path | str, *args: str) -> tuple[int, dict]:
    result = run_akscan("git", str(repo), "--format", "json", "--no-redact", *args)
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


def only(document: dict) -> dict:
    assert len(document["findings"]) == 1, document["findings"]
    return document["findings"][0]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def test_key_added_then_removed(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", readme="hello\n")
    key_id, secret, line = pair(keys)
    added = repo.commit("add storage client", author="Bob", app__storage_py=line)
    repo.commit("remove key", app__storage_py="auth = load_from_env()\n")
    code, document = history(repo.path)
    finding = only(document)
    assert code == 1
    assert (finding["key_id"], finding["secret"], finding["kind"]) == (key_id, secret, "pair")
    git = finding["git"]
    assert git["commit"] == added and git["path"] == "app/storage_py"
    assert git["author"] == {"name": "Bob", "email": "bob@example.test"}
    assert git["summary"] == "add storage client" and git["present_at_head"] is False
    assert git["refs"] == ["refs/heads/main"] and git["ref_count"] == 1
    assert git["removed_in"] == repo.head()  # the lifecycle: introduced here, removed there
    assert len(git["blob"]) == 40 and git["date"].startswith("2023-")


def test_deleted_file_and_still_present(repo: Repo, keys: FakeKeys) -> None:
    id1, _, line1 = pair(keys)
    id2, _, line2 = pair(keys)
    first = repo.commit("two files", a="x = 1\n" + line1, b=line2)
    repo.git("rm", "-q", "a")
    repo.commit("delete a")
    _, document = history(repo.path)
    by_id = {f["key_id"]: f["git"] for f in document["findings"]}
    assert by_id[id1]["commit"] == first and by_id[id1]["present_at_head"] is False and by_id[id1]["path"] == "a"
    assert by_id[id2]["present_at_head"] is True


def test_rename_is_one_finding_with_both_paths(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    added = repo.commit("add", old_name="x\n" + line)
    repo.git("mv", "old_name", "new_name")
    repo.commit("rename")
    _, document = history(repo.path)
    assert only(document)["key_id"] == key_id
    git = only(document)["git"]
    assert git["commit"] == added and git["path"] == "old_name"
    assert git["paths"] == ["new_name", "old_name"] and git["present_at_head"] is True
    assert git["removed_in"] is None


def test_unmerged_branch(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", readme="hi\n")
    repo.git("checkout", "-q", "-b", "feature")
    key_id, _, line = pair(keys)
    added = repo.commit("wip", cfg=line)
    repo.git("checkout", "-q", "main")
    _, document = history(repo.path)
    assert only(document)["key_id"] == key_id
    git = only(document)["git"]
    assert git["commit"] == added and git["refs"] == ["refs/heads/feature"] and git["present_at_head"] is False


def test_evil_merge_is_credited_to_the_merge(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("base", settings="region = 'cn-hangzhou'\n")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side change", other="side\n")
    repo.git("checkout", "-q", "main")
    repo.commit("main change", third="main\n")
    repo.git("merge", "-q", "--no-commit", "side")
    key_id, secret, line = pair(keys)
    repo.write("settings", "region = 'cn-hangzhou'\n" + line)
    repo.git("add", "settings")
    repo.git("commit", "-q", "-m", "Merge side")
    merge = repo.head()
    log_p = subprocess.run(["git", "-C", str(repo.path), "log", "-p", "--all"], capture_output=True, text=True).stdout
    assert key_id not in log_p  # what a `git log -p` scanner sees: nothing
    _, document = history(repo.path)
    finding = only(document)
    assert finding["git"]["commit"] == merge and finding["secret"] == secret


def test_tag_only_history(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", readme="x\n")
    repo.git("checkout", "-q", "-b", "release")
    key_id, _, line = pair(keys)
    tagged = repo.commit("release build", build__env=line)
    repo.git("tag", "-a", "v1.0", "-m", "release 1.0")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "release")
    _, document = history(repo.path, "--no-unreachable")
    assert only(document)["key_id"] == key_id
    git = only(document)["git"]
    assert git["commit"] == tagged and git["refs"] == ["refs/tags/v1.0"]


def test_key_in_commit_message_and_tag_message(repo: Repo, keys: FakeKeys) -> None:
    key_id, secret, _ = pair(keys)
    commit = repo.commit(f"temporary creds\n\nAK={key_id}\nSK={secret}\n", readme="x\n")
    tag_id = keys.alibaba_id()
    repo.git("tag", "-a", "v2", "-m", f"deploy with {tag_id}")
    _, document = history(repo.path)
    by_source = {f["git"]["source"]: f for f in document["findings"]}
    message = by_source["commit-message"]
    assert (message["key_id"], message["secret"], message["git"]["commit"]) == (key_id, secret, commit)
    assert message["line"] == 3 and message["git"]["summary"] == "temporary creds"
    assert by_source["tag-message"]["key_id"] == tag_id


def test_pair_added_by_different_commits_still_pairs(repo: Repo, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.commit("id", config__ini=f"[oss]\naccess_key_id = {key_id}\n")
    both = repo.commit("secret", config__ini=f"[oss]\naccess_key_id = {key_id}\naccess_key_secret = {secret}\n")
    _, document = history(repo.path)
    kinds = {(f["kind"], f["git"]["commit"]) for f in document["findings"]}
    assert ("pair", both) in kinds


def test_amended_away_commit_is_found_unless_no_unreachable(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", readme="x\n")
    key_id, _, line = pair(keys)
    leaked = repo.commit("oops", leak=line)
    repo.write("leak", "clean\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--amend", "-m", "clean")
    repo.git("reflog", "expire", "--expire=now", "--all")
    _, document = history(repo.path)
    finding = only(document)
    assert finding["key_id"] == key_id and finding["git"]["commit"] == leaked and finding["git"]["refs"] == []
    assert document["summary"]["git"]["unreachable_commits"] >= 1
    _, reachable_only = history(repo.path, "--no-unreachable")
    assert reachable_only["findings"] == []


def test_stash_is_scanned(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", app="x\n")
    key_id, _, line = pair(keys)
    repo.write("app", line)
    repo.git("stash", "-q")
    _, document = history(repo.path, "--no-unreachable")
    assert only(document)["key_id"] == key_id
    assert only(document)["git"]["refs"] == ["refs/stash"]


def test_large_blob_with_key_at_the_end(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    filler = "data = 0\n" * 2_500_000  # 22.5 MB: streamed in chunks, and split across both workers
    repo.commit("dump", dump__sql=filler + line, small="ok\n")
    _, document = history(repo.path)
    finding = only(document)
    assert (finding["key_id"], finding["line"]) == (key_id, 2_500_001)


def test_shallow_clone_is_marked_incomplete(repo: Repo, tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    repo.commit("old", old=line)
    repo.commit("old removed", old="x\n")
    id2, _, line2 = pair(keys)
    repo.commit("new", new=line2)
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    result = run_akscan("git", str(clone), "--format", "json")
    document = json.loads(result.out)
    assert [f["key_id"] for f in document["findings"]] == [id2]  # key_id's commits are beyond the depth
    assert key_id not in result.out
    assert document["summary"]["incomplete"] is True and document["summary"]["git"]["shallow"] is True
    assert "incomplete" in result.err


def test_missing_object_is_skipped_and_reported(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    repo.commit("keep", keep=line)
    repo.commit("lost", lost="this blob will vanish\n")
    blob = repo.git("rev-parse", "HEAD:lost")
    os.remove(repo.path / ".git" / "objects" / blob[:2] / blob[2:])
    code, document = history(repo.path, "--no-cache")
    assert code == 1 and [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["incomplete"] is True
    assert document["summary"]["git"]["missing_objects"] >= 1


def test_incomplete_history_fails_the_gate_only_when_asked(repo: Repo) -> None:
    repo.commit("clean", readme="nothing\n")
    repo.commit("lost", lost="this blob will vanish\n")
    blob = repo.git("rev-parse", "HEAD:lost")
    os.remove(repo.path / ".git" / "objects" / blob[:2] / blob[2:])
    plain = run_akscan("git", str(repo.path), "--no-cache")
    assert plain.code == 0 and "INCOMPLETE" in plain.out
    gated = run_akscan("git", str(repo.path), "--no-cache", "--fail-on-incomplete")
    assert gated.code == 2 and "--fail-on-incomplete" in gated.err


def test_missing_commit_is_counted_and_the_scan_finishes(repo: Repo, keys: FakeKeys) -> None:
    first_id, _, first = pair(keys)
    repo.commit("first", a=first)
    lost = repo.commit("lost commit", b="x = 1\n")
    last_id, _, last = pair(keys)
    repo.commit("last", c=last)
    os.remove(repo.path / ".git" / "objects" / lost[:2] / lost[2:])
    code, document = history(repo.path, "--no-cache")
    assert code == 1 and {f["key_id"] for f in document["findings"]} == {first_id, last_id}
    assert document["summary"]["incomplete"] is True
    assert document["summary"]["skipped"]["broken-history"] == 1


@pytest.mark.parametrize("kind", ["--bare", "--mirror"])
def test_bare_and_mirror_clones_are_audited(repo: Repo, tmp_path: Path, keys: FakeKeys, kind: str) -> None:
    key_id, _, line = pair(keys)
    introduced = repo.commit("leak", author="Bob", app=line)
    repo.commit("clean", app="auth = from_env()\n")
    clone = tmp_path / f"clone{kind}.git"
    subprocess.run(["git", "clone", "-q", kind, str(repo.path), str(clone)], check=True)
    code, document = history(clone, "--no-cache")
    finding = only(document)
    assert code == 1 and finding["key_id"] == key_id
    assert finding["git"]["commit"] == introduced and finding["git"]["author"]["name"] == "Bob"
    assert finding["git"]["present_at_head"] is False


def test_range_scans_only_what_the_range_added(repo: Repo, keys: FakeKeys) -> None:
    old_id, _, old_line = pair(keys)
    base = repo.commit("old leak", old=old_line)
    new_id, _, new_line = pair(keys)
    repo.commit("new leak", new=new_line)
    # what the range added; the key HEAD still holds from before it is listed too, marked, not failing
    for args in (("--range", f"{base}..HEAD"), ("--since", base)):
        code, ranged = history(repo.path, *args)
        added = [f["key_id"] for f in ranged["findings"] if not f["git"].get("present_before_range")]
        before = [f for f in ranged["findings"] if f["git"].get("present_before_range")]
        assert added == [new_id] and [f["key_id"] for f in before] == [old_id] and code == 1
        assert before[0]["git"]["commit"] == base and before[0]["severity"] == "medium"
    repo.commit("drop the new key", new="clean\n")  # the range still pushed it: it fails the gate
    code, ranged = history(repo.path, "--range", f"{base}..HEAD")
    states = {f["key_id"]: bool(f["git"].get("present_before_range")) for f in ranged["findings"]}
    assert code == 1 and states == {new_id: False, old_id: True}
    _, branch = history(repo.path, "--branch", "main")
    assert {f["key_id"] for f in branch["findings"]} == {old_id, new_id}


def test_range_credits_a_key_that_was_already_there_to_its_real_commit(repo: Repo, keys: FakeKeys) -> None:
    old_id, _, old_line = pair(keys)
    introduced = repo.commit("old leak", author="Bob", settings_py=old_line)
    base = repo.commit("unrelated", readme="hi\n")
    repo.commit("touch", author="Carol", settings_py="# touch\n" + old_line)  # only touches the file
    new_id, _, new_line = pair(keys)
    repo.commit("new leak", author="Dave", app_py=new_line)
    for args in (("--range", f"{base}..HEAD"), ("--since", base)):
        _, document = history(repo.path, *args, "--no-cache")
        found = {f["key_id"]: f for f in document["findings"]}
        assert set(found) == {old_id, new_id}
        old, new = found[old_id], found[new_id]
        assert old["git"]["present_before_range"] is True and old["severity"] == "medium"
        assert old["git"]["commit"] == introduced and old["git"]["author"]["name"] == "Bob"  # not Carol's touch
        assert new["git"].get("present_before_range") is None and new["severity"] == "high"
        assert new["git"]["author"]["name"] == "Dave"
        gate = run_akscan("git", str(repo.path), *args, "--fail-on", "high")
        assert gate.code == 1 and "already present before the range" in gate.out
    repo.commit("remove new", app_py="x = 1\n")
    gate = run_akscan("git", str(repo.path), "--range", f"{base}..HEAD", "--fail-on", "high")
    assert gate.code == 1  # the new key is still in the range's history
    only_touch = run_akscan("git", str(repo.path), "--range", f"{base}..HEAD~2", "--fail-on", "high")
    assert only_touch.code == 0  # a range that only touched the old key does not fail a high gate


def test_cache_makes_second_scan_proportional_to_new_objects(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    for i in range(5):
        repo.commit(f"c{i}", **{f"f{i}": f"value {i}\n"})
    repo.commit("leak", leak=line)
    _, first = history(repo.path)
    _, second = history(repo.path)
    assert [f["key_id"] for f in second["findings"]] == [f["key_id"] for f in first["findings"]] == [key_id]
    assert first["summary"]["git"]["cached_objects"] == 0
    assert second["summary"]["git"]["scanned_objects"] == 1  # only the blob that holds the finding
    repo.commit("more", extra="new\n")
    _, third = history(repo.path)
    assert third["summary"]["git"]["scanned_objects"] == 3  # new blob, new commit, the finding's blob
    _, uncached = history(repo.path, "--no-cache")
    assert uncached["summary"]["git"]["cached_objects"] == 0


def test_unchanged_repository_skips_the_inventory(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    repo.commit("leak", leak=line)
    repo.commit("message leak", note=f"AK {keys.alibaba_id()}\n")
    _, first = history(repo.path)
    _, second = history(repo.path)
    assert first["summary"]["git"]["unchanged_since_last_scan"] is False
    assert second["summary"]["git"]["unchanged_since_last_scan"] is True
    assert [(f["key_id"], f["git"]["commit"]) for f in second["findings"]] == [
        (f["key_id"], f["git"]["commit"]) for f in first["findings"]
    ]
    assert second["summary"]["git"]["blobs"] == first["summary"]["git"]["blobs"]
    repo.git("branch", "side")  # a new ref is a change: the full inventory runs again
    _, third = history(repo.path)
    assert third["summary"]["git"]["unchanged_since_last_scan"] is False
    assert {f["key_id"] for f in third["findings"]} == {f["key_id"] for f in first["findings"]}
    assert key_id in {f["key_id"] for f in third["findings"]}


def test_unchanged_repository_reuses_refs_and_head_facts(
    repo: Repo, keys: FakeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refs and HEAD are part of an unchanged repository's fingerprint: the second scan reports the
    same refs, ref counts and presence at HEAD without asking git again; a new branch makes it ask."""
    from akscan.runs import history as history_module

    key_id, _, line = pair(keys)
    repo.commit("leak", leak=line)
    repo.commit("gone", leak="x = 1\n", other=f"AK {keys.alibaba_id()}\n")
    _, first = history(repo.path)
    asked: list[str] = []
    real_refs, real_head = history_module.refs_containing, history_module.head_blobs

    def refs_spy(repo_path: str, commit: str, limit: int = 50) -> tuple[tuple[str, ...], int]:
        asked.append("refs")
        return real_refs(repo_path, commit, limit)

    def head_spy(repo_path: str) -> set[str]:
        asked.append("head")
        return real_head(repo_path)

    monkeypatch.setattr(history_module, "refs_containing", refs_spy)
    monkeypatch.setattr(history_module, "head_blobs", head_spy)

    def facts(document: dict) -> list[tuple[object, ...]]:
        return sorted(
            (f["key_id"], f["git"]["commit"], tuple(f["git"]["refs"]), f["git"]["present_at_head"])
            for f in document["findings"]
        )

    _, second = history(repo.path)
    assert second["summary"]["git"]["unchanged_since_last_scan"] is True
    assert facts(second) == facts(first) and asked == []
    assert second["summary"]["git"]["refs"] == first["summary"]["git"]["refs"]
    assert (key_id, False) in {(f["key_id"], f["git"]["present_at_head"]) for f in second["findings"]}
    repo.git("branch", "side")
    _, third = history(repo.path)
    assert "refs" in asked and "head" in asked
    assert all("refs/heads/side" in f["git"]["refs"] for f in third["findings"])
    assert third["summary"]["git"]["refs"] == first["summary"]["git"]["refs"] + 1


def test_non_utf8_path_and_binary_blob(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    name = b"caf\xe9.cfg"
    (repo.path / os.fsdecode(name)).write_bytes(line.encode())
    repo.write("image.bin", b"\x00\x01\x02" + line.encode() + b"\xff")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "odd files")
    _, document = history(repo.path)
    assert [f["key_id"] for f in document["findings"]] == [key_id]  # one credential in two blobs
    assert document["findings"][0]["git"]["occurrences"] == 2


def test_not_a_repository_exits_2(tmp_path: Path) -> None:
    result = run_akscan("git", str(tmp_path))
    assert result.code == 2
    assert "is not a git repository" in result.err and "Traceback" not in result.err


def test_empty_repository(repo: Repo) -> None:
    code, document = history(repo.path)
    assert code == 0 and document["findings"] == []


def test_bad_range_exits_2(repo: Repo) -> None:
    repo.commit("init", a="x\n")
    result = run_akscan("git", str(repo.path), "--range", "nonsense")
    assert result.code == 2 and "A..B" in result.err


def test_removal_is_found_after_a_cached_scan(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    repo.commit("leak", cfg=line)
    _, before = history(repo.path)
    assert only(before)["git"]["present_at_head"] is True and only(before)["git"]["removed_in"] is None
    removal = repo.commit("rotate and remove", cfg="loaded from env\n")
    _, after = history(repo.path)
    assert only(after)["key_id"] == key_id
    assert only(after)["git"]["present_at_head"] is False and only(after)["git"]["removed_in"] == removal


def test_notes_are_scanned(repo: Repo, keys: FakeKeys) -> None:
    commit = repo.commit("init", a="x\n")
    key_id, _, line = pair(keys)
    repo.git("notes", "add", "-m", f"deploy note: {line}", commit)
    _, document = history(repo.path, "--no-unreachable")
    assert only(document)["key_id"] == key_id
    assert only(document)["git"]["refs"] == ["refs/notes/commits"]


def test_partial_clone_is_incomplete_and_fetches_nothing(repo: Repo, tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    repo.commit("old", old=line)
    repo.commit("drop", old="x\n")
    id2, _, line2 = pair(keys)
    repo.commit("new", new=line2)
    repo.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", "--no-checkout", f"file://{repo.path}", str(clone)], check=True
    )
    before = len(list((clone / ".git" / "objects").rglob("*")))
    result = run_akscan("git", str(clone), "--format", "json", "--no-cache")
    document = json.loads(result.out)
    assert result.code == 0 and document["findings"] == []  # no blob is there to scan
    assert document["summary"]["incomplete"] is True and document["summary"]["git"]["partial"] is True
    assert len(list((clone / ".git" / "objects").rglob("*"))) == before  # nothing was fetched
    assert key_id not in result.out and id2 not in result.out


def test_corrupt_object_is_reported_not_fatal(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    repo.commit("keep", keep=line)
    repo.commit("broken", broken="this blob will be corrupted\n")
    blob = repo.git("rev-parse", "HEAD:broken")
    loose = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"\x78\x9cnot really zlib")
    result = run_akscan("git", str(repo.path), "--format", "json", "--no-cache")
    assert result.code == 1 and "Traceback" not in result.err
    document = json.loads(result.out)
    assert [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["incomplete"] is True
    assert set(document["summary"]["skipped"]) & {"corrupt-object", "missing-object"}


def test_many_refs(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    commit = repo.commit("leak", a=line)
    refs = "".join(f"create refs/tags/release-{i} {commit}\n" for i in range(5000))
    repo.git("update-ref", "--stdin", input=refs.encode())
    _, document = history(repo.path)
    git = only(document)["git"]
    assert only(document)["key_id"] == key_id
    assert git["ref_count"] == 5001 and len(git["refs"]) == 50


def test_non_ascii_and_non_utf8_paths_are_reported_as_named(repo: Repo, keys: FakeKeys) -> None:
    first_id, _, first = pair(keys)
    second_id, _, second = pair(keys)
    (repo.path / "配置.py").write_text(first)
    (repo.path / os.fsdecode(b"bad\xffname.py")).write_text(second)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "names")
    _, document = history(repo.path, "--no-cache")
    paths = {f["key_id"]: f["path"] for f in document["findings"]}
    assert paths == {first_id: "配置.py", second_id: "bad\\xffname.py"}  # not git's "\351\205\215…" quoting


def test_unknown_revisions_say_what_to_do(repo: Repo, keys: FakeKeys) -> None:
    key_id, _, line = pair(keys)
    repo.commit("leak", app=line)
    result = run_akscan("git", str(repo.path), "--range", "deadbeef..HEAD")
    assert result.code == 2 and "unknown revision 'deadbeef'" in result.err and "--range-fallback" in result.err
    for args in (("--branch", "nope"), ("--since", "v9"), ("--branch", "--all"), ("--range", "main..nosuchbranch")):
        result = run_akscan("git", str(repo.path), *args)
        assert result.code == 2 and "unknown revision" in result.err, result.err
        assert "usage: git" not in result.err.lower()
        # a name is a typo or an unfetched branch, never a force-pushed commit: no fallback hides it
        fallback = run_akscan("git", str(repo.path), *args, "--range-fallback", "all")
        assert fallback.code == 2 and "unknown revision" in fallback.err
    fallback = run_akscan(
        "git", str(repo.path), "--range", "deadbeef..HEAD", "--range-fallback", "all", "--format", "json"
    )
    assert fallback.code == 1 and key_id in fallback.out and "scanning the whole history" in fallback.err


def test_a_blob_only_ever_staged_is_info_not_high(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", readme="hello\n")
    staged_id, _, staged_line = pair(keys)
    repo.write("app.py", staged_line)
    repo.git("add", "app.py")  # the hook refused the commit; the developer fixed the file
    repo.git("reset", "-q")
    (repo.path / "app.py").unlink()
    amended_id, _, amended_line = pair(keys)
    repo.commit("pushed once", cfg=amended_line)
    repo.git("reset", "-q", "--hard", "HEAD~1")  # rewritten away: this commit may have been pushed
    code, document = history(repo.path, "--no-cache")
    found = {f["key_id"]: f for f in document["findings"]}
    assert found[staged_id]["severity"] == "info" and found[staged_id]["git"]["never_committed"] is True
    assert found[amended_id]["severity"] == "high" and found[amended_id]["git"].get("never_committed") is None
    assert code == 1
    gate = run_akscan("git", str(repo.path), "--fail-on", "low")
    assert staged_id in gate.out and "never left this machine" in gate.out


def test_a_key_on_a_branch_is_credited_to_the_reachable_commit(repo: Repo, keys: FakeKeys) -> None:
    _, _, line = pair(keys)
    repo.commit("init", readme="hello\n")
    repo.git("checkout", "-q", "-b", "pr-1")
    repo.commit("pull request commit", author="Mallory", app_py=line)  # older: left in the pack by a PR ref
    repo.git("checkout", "-q", "main")
    repo.git("update-ref", "-d", "refs/heads/pr-1")
    repo.git("reflog", "expire", "--expire=now", "--all")
    assert repo.git("cat-file", "-t", repo.git("rev-parse", "HEAD")) == "commit"
    merged = repo.commit("land the change", author="Bob", app_py=line)  # the same blob, on main
    _, document = history(repo.path, "--no-cache")
    finding = only(document)
    git_info = finding["git"]
    assert git_info["commit"] == merged and git_info["author"]["name"] == "Bob"
    assert git_info["refs"] == ["refs/heads/main"] and git_info["present_at_head"] is True
    assert finding["present_at_head"] is True


def test_branch_and_unreachable_options_count_only_blobs(repo: Repo, keys: FakeKeys) -> None:
    for index in range(3):
        repo.commit(f"c{index}", **{f"dir{index}__f": f"v{index}\n"})
    for args in (("--branch", "main"), ("--no-unreachable",), ("--since", "HEAD~1")):
        _, document = history(repo.path, "--no-cache", *args)
        git_summary = document["summary"]["git"]
        assert git_summary["cached_objects"] >= 0 and git_summary["scanned_objects"] >= 1, (args, git_summary)


def test_problems_in_blobs_name_their_paths(repo: Repo, keys: FakeKeys) -> None:
    """Blobs are scanned before the history walk has named them; every message and finding still
    carries the blob's path, and a compressed blob's member is named after it."""
    import gzip

    key_id, secret, line = pair(keys)
    whole = gzip.compress(b"x" * 100_000)
    repo.write("dump.json.gz", whole[: len(whole) // 2])
    repo.write("conf/app.py.gz", gzip.compress(line.encode()))
    repo.commit("archives")
    _, document = history(repo.path, "--no-cache")
    (error,) = document["summary"]["errors"]
    assert error["path"] == "dump.json.gz" and error["detail"].startswith("dump.json.gz: broken gzip stream")
    finding = only(document)
    assert finding["path"] == "conf/app.py.gz!app.py" and finding["git"]["path"] == "conf/app.py.gz"
    assert (finding["key_id"], finding["secret"]) == (key_id, secret)


def test_waiting_on_a_background_git_returns_its_status_and_times_out() -> None:
    """gitcmd.wait (a pidfd where there is one, Popen's polling wait elsewhere): the exit status of a
    process that ended, TimeoutExpired for one that did not, and a process already reaped is no error."""
    import subprocess
    import sys

    from akscan.sources import gitcmd

    done = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert gitcmd.wait(done, timeout=30) == 3
    assert gitcmd.wait(done, timeout=30) == 3  # reaped already: Popen answers from its record
    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            gitcmd.wait(slow, timeout=0.2)
    finally:
        slow.kill()
        slow.wait()


def _fast_import(path: Path, messages: list[str]) -> None:
    """One commit per message on main, each changing one file (fast-import: hundreds of commits at once)."""
    stream = []
    for number, message in enumerate(messages, 1):
        body = message.encode()
        content = f"version {number}\n".encode()
        stream.append(
            f"commit refs/heads/main\nmark :{number}\ncommitter A <a@example.com> {1700000000 + number} +0000\n"
        )
        stream.append(f"data {len(body)}\n".encode().decode() + message + "\n")
        if number > 1:
            stream.append(f"from :{number - 1}\n")
        stream.append(f"M 644 inline notes.txt\ndata {len(content)}\n{content.decode()}\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input="".join(stream).encode(), check=True)


def test_keys_in_commit_messages_amid_hundreds_of_clean_ones(tmp_path: Path, keys: FakeKeys) -> None:
    """Messages are gated in batches of 256 (a closed batch is all clean): a pair amid clean messages and
    a lone ID in every fifth message — some in the last, partial batch whatever order git lists them
    in — are each found once and credited to their own commit; a message that names a secret with
    nothing shaped like one stays clean."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    messages = [f"change {n}" for n in range(1, 301)]
    lone = {n: keys.alibaba_id() for n in range(4, 300, 5)}
    for n, found_id in lone.items():
        messages[n] = f"debug {n}: access_key_id {found_id}"
    messages[150] = f"rotate keys\n\nAK={key_id}\nSK={secret}"
    messages[151] = "SECRET_KEY now comes from the environment"
    _fast_import(tmp_path / "big", messages)
    log = subprocess.run(
        ["git", "-C", str(tmp_path / "big"), "log", "--format=%H %s", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    commit_of = {subject: sha for sha, subject in (line.split(" ", 1) for line in log)}
    code, document = history(tmp_path / "big")
    assert code == 1
    found = sorted((f["kind"], f["key_id"], f["secret"], f["git"]["commit"]) for f in document["findings"])
    expected = [("pair", key_id, secret, commit_of["rotate keys"])]
    expected += [("key-id", i, None, commit_of[f"debug {n}: access_key_id {i}"]) for n, i in lone.items()]
    assert found == sorted(expected)
    assert document["summary"]["git"]["commits"] == 300


def test_a_history_scan_that_fails_stops_the_git_it_started_early(
    repo: Repo, keys: FakeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git's listing starts before the rest of akscan is imported; a run that then fails (here:
    a malformed config) stops them and leaves nothing a later scan of the same repository could pick up
    (it would be a listing of the store as it was)."""
    from akscan.sources import git as git_source

    repo.commit("init", app__py=pair(keys)[2])
    bad = repo.path.parent / "bad.toml"
    bad.write_text("[tool.akscan\n")
    started: list[git_source.Background] = []
    real = git_source.start_early

    def spy(path: str, skip_if_cached: bool) -> None:
        real(path, skip_if_cached)
        started.extend([*git_source._early_listings.values(), *git_source._early_walks.values()])

    monkeypatch.setattr(git_source, "start_early", spy)
    result = run_akscan("git", str(repo.path), "--no-cache", "--config", str(bad))
    assert result.code == 2, result.err
    assert len(started) == 1 and all(running.proc.poll() is not None for running in started)
    assert not git_source._early_listings and not git_source._early_walks and not git_source._early_repos
    code, document = history(repo.path, "--no-cache")  # the next run starts its own, and finds the key
    assert code == 1 and len(document["findings"]) == 1
    assert not git_source._early_listings and not git_source._early_walks


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_attribution_log_runs_only_once_something_is_found(
    tmp_path: Path, keys: FakeKeys, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """git's log for attribution starts at the first finding (from a worker process, through a shared
    event): never for a clean history, once for a history with keys, whose finding it credits."""
    from akscan.engine.rules import load_ruleset
    from akscan.runs import history
    from akscan.sources import git as git_source

    started: list[str] = []
    real_init = git_source.HistoryLog.__init__

    def counted(self: git_source.HistoryLog, repo: str, extra_commits: list[str]) -> None:
        started.append(repo)
        real_init(self, repo, extra_commits)

    monkeypatch.setattr(git_source.HistoryLog, "__init__", counted)
    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    clean, leaky = Repo(tmp_path / "clean"), Repo(tmp_path / "leaky")
    for number in range(4):
        clean.commit(f"c{number}", app__py=f"SECRET_KEY = os.environ['KEY_{number}']\n", other__py=f"x = {number}\n")
        leaky.commit(f"c{number}", app__py=f"x = {number}\n", other__py=f"y = {number}\n")
    introduced = leaky.commit("oops", app__py=pair(keys)[2])
    leaky.commit("fix", app__py="x = 9\n")
    options = history.GitScanOptions(cache=False, jobs=jobs)
    assert history.scan_history(str(clean.path), load_ruleset(), options).findings == []
    assert started == []
    found = history.scan_history(str(leaky.path), load_ruleset(), options).findings
    assert len(started) == 1 and [f.git.commit for f in found if f.git] == [introduced]


def test_the_repository_is_found_from_a_subfolder_a_linked_worktree_and_its_git_folder(
    repo: Repo, tmp_path: Path, keys: FakeKeys
) -> None:
    """One ``rev-parse`` answers for a work tree (its top, shallowness and common git folder, which git
    gives relative to where it ran); a linked worktree shares the main one's objects; inside ``.git``
    the step-by-step path runs. Each finds the key and credits its commit."""
    key_id, _, line = pair(keys)
    introduced = repo.commit("leak", sub__deep__conf_py=line)
    repo.git("worktree", "add", "-q", str(tmp_path / "linked"))
    for where in (repo.path / "sub" / "deep", tmp_path / "linked", repo.path / ".git"):
        _, document = history(where, "--no-cache")
        assert [(f["key_id"], f["git"]["commit"]) for f in document["findings"]] == [(key_id, introduced)], where


def test_a_blob_written_without_a_commit_is_seen_from_a_subfolder(repo: Repo, keys: FakeKeys) -> None:
    """The unchanged-repository check reads the object store of the common git folder: a blob written
    straight into it (no commit, no ref moves) makes the next scan, run from a subfolder, look again."""
    repo.commit("init", sub__readme="hello\n")
    where = repo.path / "sub"
    _, first = history(where)
    assert first["findings"] == []
    key_id, _, line = pair(keys)
    (repo.path / "loose.txt").write_text(line)
    repo.git("hash-object", "-w", "loose.txt")
    (repo.path / "loose.txt").unlink()
    _, second = history(where)
    assert second["summary"]["git"]["unchanged_since_last_scan"] is False
    assert [f["key_id"] for f in second["findings"]] == [key_id]


def test_a_repositorys_own_config_cannot_hide_a_key_from_later_audits_through_the_cache(
    repo: Repo, keys: FakeKeys
) -> None:
    """A repository's config drops a finding with a line allowlist; the blob must not be cached as
    clean: the audit that follows with --no-config (for untrusted trees) reads it again and reports the
    key, and so does a run after the allowlist is gone."""
    key_id, _, line = pair(keys)
    repo.commit("leak", app__py=line.rstrip("\n") + "  # tests\n")
    (repo.path / ".akscan.toml").write_text('[[rule_allowlist]]\nrules = ["alibaba-access-key"]\nlines = ["tests"]\n')
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "config")
    _, with_config = history(repo.path)
    assert with_config["findings"] == [] and with_config["summary"]["suppressed"]["rule-allowlist"] == 1
    _, audit = history(repo.path, "--no-config")
    assert [f["key_id"] for f in audit["findings"]] == [key_id]


def test_an_object_not_read_whole_is_not_cached_as_clean(
    repo: Repo, keys: FakeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule stopped by its time limit has not read the blob: the next run reads it again."""
    from akscan.engine import candidates

    key_id, _, line = pair(keys)
    repo.commit("leak", app__py=line)
    monkeypatch.setattr(candidates, "MATCH_TIMEOUT", 0.0)
    monkeypatch.setattr(candidates, "MATCH_BYTES_PER_SECOND", float("inf"))
    _, starved = history(repo.path)
    assert starved["findings"] == [] and starved["summary"]["skipped"].get("rule-timeout")
    monkeypatch.undo()
    _, again = history(repo.path)
    assert [f["key_id"] for f in again["findings"]] == [key_id]


def test_a_range_with_an_empty_side_is_refused(repo: Repo, keys: FakeKeys) -> None:
    """CI's empty "before" on a pull request made `..SHA`, which git reads as an empty range: a gate that
    scanned nothing and passed."""
    _, _, line = pair(keys)
    repo.commit("init", readme="hello\n")
    head = repo.commit("leak", app=line)
    for bad in (f"..{head}", f"{head}..", "..", f"...{head}", " ..HEAD"):
        result = run_akscan("git", str(repo.path), "--range", bad)
        assert result.code == 2 and "both sides are needed" in result.err, (bad, result.err)
        assert len(result.err.strip().splitlines()) == 1
    assert run_akscan("git", str(repo.path), "--range", f"{head}~1..{head}").code == 1


def test_a_range_that_holds_no_commits_says_it_scanned_nothing(repo: Repo, keys: FakeKeys) -> None:
    _, _, line = pair(keys)
    repo.commit("init", readme="hello\n")
    head = repo.commit("leak", app=line)
    result = run_akscan("git", str(repo.path), "--range", f"{head}..{head}", "--format", "json")
    assert result.code == 0 and "holds no commits: nothing was scanned" in result.err
    result = run_akscan("git", str(repo.path), "--range", f"{head}~1..{head}", "--format", "json")
    assert result.code == 1 and "nothing was scanned" not in result.err


def test_a_cached_run_reports_the_coverage_of_a_cold_one(repo: Repo, keys: FakeKeys) -> None:
    """summary.files/bytes say what the audit covered (read now + known clean from the cache), the same
    cold or cached; summary.this_run says what this run read."""
    _, _, line = pair(keys)
    for index in range(4):
        repo.commit(f"c{index}", **{f"m{index}_py": f"value = {index}\n" * (index + 1)})
    repo.commit("leak", app=line)
    _, cold = history(repo.path, "--no-cache")
    _, first = history(repo.path)
    _, cached = history(repo.path)
    for document in (first, cached):
        assert (document["summary"]["files"], document["summary"]["bytes"]) == (
            cold["summary"]["files"],
            cold["summary"]["bytes"],
        )
    assert cold["summary"]["files"] == 5  # the five blobs
    assert cached["summary"]["this_run"]["files"] < cold["summary"]["this_run"]["files"]
    assert cached["summary"]["git"]["cached_objects"] > 0
    repo.commit("more", extra_py="x = 1\n")
    _, grown = history(repo.path)
    _, grown_cold = history(repo.path, "--no-cache")
    assert grown["summary"]["bytes"] == grown_cold["summary"]["bytes"] > cold["summary"]["bytes"]
    assert grown["summary"]["files"] == grown_cold["summary"]["files"] == 6


@pytest.mark.parametrize("padding", [(1 << 20) - 4096, (1 << 20) + 4096])
def test_a_key_after_a_commit_messages_first_mib_is_found(repo: Repo, keys: FakeKeys, padding: int) -> None:
    """A commit message was read only to 1 MiB: a key after that was never scanned, never counted, and the
    commit cached as clean. Messages past the limit are read whole."""
    key_id, _, line = pair(keys)
    repo.commit("init", readme="hello\n")
    message = "release notes\n\n" + ("x" * 100 + "\n") * (padding // 101) + line
    (repo.path / "msg.txt").write_text(message)
    repo.git("commit", "-q", "--allow-empty", "-F", str(repo.path / "msg.txt"))
    for extra in (("--no-cache",), (), ()):
        code, document = history(repo.path, *extra)
        found = [f for f in document["findings"] if f["key_id"] == key_id]
        assert code == 1 and found and found[0]["git"]["source"] == "commit-message", extra


def test_commits_sharing_one_timestamp_credit_the_true_introduction(tmp_path: Path, keys: FakeKeys) -> None:
    """Every test repository spaced its commits a minute apart; a script, a rebase or a fast human makes
    many in one second. The key is credited to the commit that added it, not to one that copied or
    touched it in the same second (full history, cached, and a range)."""
    repo = Repo(tmp_path / "same-second")
    frozen = {"GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}
    key_id, _, line = pair(keys)

    def commit(message: str, **files: str) -> str:
        for name, text in files.items():
            repo.write(name, text)
        repo.git("add", "-A", env=frozen)
        repo.git("commit", "-q", "--allow-empty", "-m", message, env=frozen)
        return repo.head()

    commit("init", readme="hi\n")
    added = commit("add key", app_py=line)
    commit("copy it", other_py=line)
    commit("touch", app_py=line + "# touched\n")
    for index in range(3):
        commit(f"n{index}", readme=f"hi {index}\n")
    for extra in (("--no-cache",), (), ("--range", f"{added}~1..HEAD")):
        _, document = history(repo.path, *extra)
        found = [f for f in document["findings"] if f["key_id"] == key_id]
        assert found and found[0]["git"]["commit"] == added, (extra, found[0]["git"]["summary"])


def _many_refs(repo: Repo, keys: FakeKeys) -> list[str]:
    """A history of branches, a merge, lightweight and annotated tags (one of them a tag of a tag), a tag of
    a blob and a remote-tracking ref; five commits each adding a key. The commits that added keys."""
    added = [repo.commit("base", README="x\n")]
    repo.git("branch", "side")
    for index in range(3):
        added.append(repo.commit(f"leak {index}", **{f"app{index}__py": pair(keys)[2]}))
        repo.git("tag", f"v{index}")
    repo.git("tag", "-a", "rel", "-m", "release")
    repo.git("tag", "-a", "rel-of-rel", "rel", "-m", "a tag of a tag")
    repo.git("checkout", "-q", "side")
    added.append(repo.commit("side leak", side__py=pair(keys)[2]))
    repo.git("update-ref", "refs/remotes/origin/side", "HEAD")
    repo.git("checkout", "-q", "-")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    added.append(repo.commit("after merge", late__py=pair(keys)[2]))
    blob = repo.git("hash-object", "-w", "--stdin", input=b"a blob\n").strip()
    repo.git("tag", "blob-tag", blob)
    for index in range(40):  # refs enough that one walk beats a process per commit
        repo.git("branch", f"feature/{index:02}", added[index % len(added)])
    return added


def test_refs_in_one_pass_agree_with_for_each_ref_contains(repo: Repo, keys: FakeKeys) -> None:
    """The one-walk answer is for-each-ref --contains's for every commit: same refs in the same order, same
    counts, the same cut at the limit (merges, annotated tags and a tag of a tag followed to their
    commit, a tag of a blob reaching nothing)."""
    from akscan.sources.git import refs_containing, refs_containing_all

    added = _many_refs(repo, keys)
    every = repo.git("rev-list", "--all").split()
    assert set(added) <= set(every)
    for limit in (3, 50):
        together = refs_containing_all(str(repo.path), every, limit=limit)
        assert together == {commit: refs_containing(str(repo.path), commit, limit=limit) for commit in every}
    assert any(count > 3 for _, count in together.values())


def test_a_history_with_many_credited_commits_asks_git_once_for_their_refs(
    repo: Repo, keys: FakeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from akscan.runs import history as history_module
    from akscan.sources.git import refs_containing

    added = _many_refs(repo, keys)
    expected = {commit: refs_containing(str(repo.path), commit) for commit in added[1:]}

    def one_by_one(repo_path: str, commit: str, limit: int = 50) -> tuple[tuple[str, ...], int]:
        raise AssertionError("a for-each-ref --contains per credited commit")

    monkeypatch.setattr(history_module, "refs_containing", one_by_one)
    from akscan.engine.rules import load_ruleset
    from akscan.runs.history import GitScanOptions, scan_history

    result = scan_history(str(repo.path), load_ruleset(), GitScanOptions(cache=False, jobs=1))
    credited = {f.git.commit: (f.git.refs, f.git.ref_count) for f in result.findings if f.git is not None}
    assert len(credited) == 5 and credited == {c: expected[c] for c in credited}
