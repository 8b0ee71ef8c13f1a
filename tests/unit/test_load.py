"""The load suite's pure parts: profiles as data, per-step figures, SLO judging, resource sums."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness import resources
from harness.backends.access import host_usage
from harness.backends.docker.usage import from_cgroup
from harness.errors import UserError
from harness.load.load_plan import LoadPlan
from harness.load.profile import available, load_profile
from harness.load.history import read_history
from harness.load.load_result import ClassResult
from harness.load.results import judge, read_classes, read_errors
from harness.load.sampler import Sample, Samples
from harness.load.steps import difference, percentile, settled, snapshot


@pytest.mark.parametrize("name", ["webmail", "groupware", "sync", "smoke"])
def test_the_shipped_profiles_are_valid_and_every_rate_names_its_source(name):
    assert name in available()
    profile = load_profile(name)
    assert all(action.source.strip() for user in profile.classes for action in user.actions)
    assert all(user.session.source.strip() for user in profile.classes)
    assert profile.slo("no-such-class") == profile.slos["default"]


def bad_profile(tmp_path: Path, old: str, new: str) -> str:
    text = (resources.loadprofiles_dir() / "smoke.yaml").read_text()
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(UserError) as raised:
        load_profile(path)
    assert raised.value.exit_code == 2
    return str(raised.value)


def test_a_rate_without_a_source_is_refused_where_it_stands(tmp_path):
    message = bad_profile(tmp_path, '{request: mail.all, per_hour: 12, source: "twice webmail.yaml\'s rate: a short '
                                    'smoke run wants every class often; it is no demand model"}',
                          "{request: mail.all, per_hour: 12}")
    assert "bad.yaml:" in message and "classes[0].actions[0].source: required key is missing" in message


def test_an_unknown_key_and_a_request_of_another_protocol_are_refused(tmp_path):
    message = bad_profile(tmp_path, "    weight: 3\n", "    weight: 3\n    wieght: 2\n")
    assert "classes[0].wieght: unknown key" in message
    message = bad_profile(tmp_path, "{request: imap.select,", "{request: mail.all,")
    assert "classes[1].actions[0].request: 'mail.all' is not a request of protocol imap" in message


def test_slos_must_have_a_default_and_name_only_classes_the_profile_makes(tmp_path):
    message = bad_profile(tmp_path, "  default: {p95_ms: 2000", "  dav.nope: {p95_ms: 2000")
    assert "no `default` SLO" in message and "slos.dav.nope: no user of this profile makes" in message


def test_an_unknown_profile_lists_the_shipped_ones():
    with pytest.raises(UserError, match="webmail"):
        load_profile("no-such-profile")


def stats(entries: dict, errors: dict) -> SimpleNamespace:
    return SimpleNamespace(
        entries={key: SimpleNamespace(num_requests=sum(times.values()), num_failures=failures, response_times=times)
                 for key, (times, failures) in entries.items()},
        errors={key: SimpleNamespace(method=key[0], name=key[1], error=key[2], occurrences=n) for key, n in errors.items()})


def test_a_step_has_the_counts_and_percentiles_of_what_happened_during_it():
    before = snapshot(stats({("mail.all", "GET"): (Counter({100: 50}), 0)}, {}))
    after = snapshot(stats({("mail.all", "GET"): (Counter({100: 50, 200: 90, 900: 10}), 2),
                            ("login", "POST"): (Counter({40: 4}), 0)},
                           {("GET", "mail.all", "MSG-1016 CONNECTIVITY"): 2}))
    after["at"] = before["at"] + 10
    step = difference(before, after, users=20, index=1)
    mail = step["requests"]["mail.all"]
    assert (mail["requests"], mail["failures"], mail["rps"]) == (100, 2, 10.0)
    assert (mail["p50"], mail["p95"], mail["p99"]) == (200, 900, 900)  # the 50 earlier calls at 100 ms do not count
    assert step["requests"]["login"]["requests"] == 4 and step["users"] == 20
    assert step["errors"] == {"mail.all": {"MSG-1016 CONNECTIVITY": 2}}


def test_percentiles_of_a_histogram():
    times = Counter({10: 90, 50: 9, 400: 1})
    assert (percentile(times, 0.5), percentile(times, 0.95), percentile(times, 0.99), percentile(times, 1.0)) == (
        10, 50, 50, 400)
    assert percentile(Counter(), 0.5) is None


def figures(name: str, requests: int, failures: int, p50: float, p95: float, p99: float) -> ClassResult:
    return ClassResult(name=name, protocol="GET", requests=requests, failures=failures, rps=1.0, p50=p50, p95=p95,
                       p99=p99)


def test_an_slo_is_broken_by_p95_p99_or_the_error_ratio_and_says_by_how_much():
    slo = load_profile("smoke").slo("mail.all")
    assert judge(figures("mail.all", 100, 0, 50, 300, 800), slo) == []
    problems = judge(figures("mail.all", 100, 5, 50, 2500, 6000), slo)
    assert problems == ["mail.all: p95 2500 ms over the SLO's 2000 ms", "mail.all: p99 6000 ms over the SLO's 5000 ms",
                        "mail.all: 5 of 100 failed (5.0%, SLO 2.0%)"]


def test_locusts_files_are_read_per_class_with_errors_by_ox_code(tmp_path):
    header = ('"Type","Name","Request Count","Failure Count","Median Response Time","Average Response Time",'
              '"Min Response Time","Max Response Time","Average Content Size","Requests/s","Failures/s","50%","66%",'
              '"75%","80%","90%","95%","98%","99%","99.9%","99.99%","100%"')
    (tmp_path / "locust_stats.csv").write_text("\n".join([
        header, "GET,mail.all,120,3,80,90,5,900,1000,2.0,0.05,80,90,100,110,200,300,500,800,900,900,900",
        "IMAP,imap.login,10,0,30,30,5,90,0,0.2,0,30,30,30,30,40,N/A,90,90,90,90,90",
        ",Aggregated,130,3,80,90,5,900,1000,2.2,0.05,80,90,100,110,200,300,500,800,900,900,900"]) + "\n")
    (tmp_path / "locust_failures.csv").write_text('"Method","Name","Error","Occurrences"\n'
                                                 'GET,mail.all,"CatchResponseError(\'MSG-1016 CONNECTIVITY\')",3\n')
    classes = {c.name: c for c in read_classes(tmp_path / "locust")}
    assert set(classes) == {"mail.all", "imap.login"}
    assert (classes["mail.all"].p95, classes["mail.all"].error_ratio) == (300.0, 0.025)
    assert classes["imap.login"].p95 is None
    assert read_errors(tmp_path / "locust") == {"mail.all": {"MSG-1016 CONNECTIVITY": 3}}


def test_tiers_sum_their_nodes_and_a_generator_past_80_percent_is_bound():
    samples = Samples(nodes=[Sample(100.0, "ox-1", "middleware", 30.0, 100), Sample(100.2, "ox-2", "middleware", 20.0, 50),
                             Sample(100.1, "db-1", "database", 5.0, 10)])
    assert samples.per_tier() == {"middleware": [(100, 50.0, 150)], "database": [(100, 5.0, 10)]}
    samples.generator = [(float(t), 7, 70.0) for t in range(10)]
    assert samples.generator_peak() == 70.0 and not samples.generator_bound
    samples.generator += [(float(t), 7, 95.0) for t in range(10, 16)]
    assert samples.generator_bound


def test_host_usage_reads_busy_cpu_and_memory_in_use():
    output = "cpu  1000 0 500 8000 100 0 0 0 0 0\n100\n2048\n"
    usage = host_usage(output)
    assert usage is not None and usage.cpu_seconds == 15.0 and usage.memory_bytes == 2048
    assert host_usage("no such output") is None


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_container_usage_comes_from_its_cgroup(tmp_path, version):
    if version == "v1":
        (tmp_path / "cpuacct" / "docker" / "abc").mkdir(parents=True)
        (tmp_path / "cpuacct" / "docker" / "abc" / "cpuacct.usage").write_text("2500000000\n")
        memory = tmp_path / "memory" / "docker" / "abc"
        memory.mkdir(parents=True)
        (memory / "memory.usage_in_bytes").write_text("1000\n")
        (memory / "memory.stat").write_text("cache 5\ntotal_inactive_file 200\n")
    else:
        folder = tmp_path / "system.slice" / "docker-abc.scope"
        folder.mkdir(parents=True)
        (folder / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 1\n")
        (folder / "memory.current").write_text("1000\n")
        (folder / "memory.stat").write_text("inactive_file 200\n")
    usage = from_cgroup("abc", tmp_path)
    assert usage is not None and usage.cpu_seconds == 2.5 and usage.memory_bytes == 800
    assert from_cgroup("other", tmp_path) is None


def test_a_plan_bounds_its_own_length():
    plan = LoadPlan(profile=load_profile("smoke"), http_url="http://127.0.0.1:1", accounts=[{"login": "a", "password": "b",
                    "email": "c"}], shape="steps", users=8, spawn_rate=1, duration=60, steps=[4, 8], hold_seconds=30,
                    output="/tmp")
    # each step waits at most twice its ramp (4 users at 1/s) and 5 s for its users, then is held at most twice
    assert plan.planned_seconds() == 2 * (2 * 4 + 5 + 2 * 30)
    assert plan.model_copy(update={"shape": "constant"}).planned_seconds() == 60


def test_a_middleware_counter_that_restarted_counts_from_zero():
    from harness.load.results import counted_between

    assert counted_between(100, 150) == 50
    assert counted_between(100, 30) == 30  # the node restarted during the run (a fault under load)


def test_a_fault_under_load_is_named_with_its_time_and_judged_from_the_history(tmp_path):
    from harness.scenario.under_load import FaultTimer, back_to_slo, judge_fault, parse_fault

    assert parse_fault("middleware-node-killed@60") == ("middleware-node-killed", 60.0)
    for bad, expected in (("nope@5", "unknown scenario"), ("middleware-node-killed", "no time after the @"),
                          ("middleware-node-killed@-1", "must not be negative")):
        with pytest.raises(UserError, match=expected):
            parse_fault(bad)
    header = ("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,"
              "100%,Total Request Count,Total Failure Count")
    rows = [header]
    for second in range(100, 160):
        failing = 130 <= second < 134
        rows.append(f"{second},10,,Aggregated,10,{5 if failing else 0},50,60,70,80,90,{3000 if failing else 200},"
                    "300,400,500,600,700,,")
        # mail.get retry failed once before the fault (second 110), mail.all retry twice with it (second 131)
        rows.append(f"{second},10,GET,mail.get retry,1,0,50,60,70,80,90,200,300,400,500,600,700,{second},"
                    f"{1 if second >= 110 else 0}")
        rows.append(f"{second},10,GET,mail.all retry,1,0,50,60,70,80,90,200,300,400,500,600,700,{second},"
                    f"{2 if second >= 131 else 0}")
    (tmp_path / "locust_stats_history.csv").write_text("\n".join(rows) + "\n")
    slo = load_profile("smoke").slos["default"]
    history = read_history(tmp_path / "locust")
    assert back_to_slo(history, 131, slo) == 3
    timer = FaultTimer(driver=None, scenario="middleware-node-killed", at=30, injected_at=130.0, healed_at=136.0,
                       nodes=["ox-1"])
    classes = [figures("mail.all retry", 10, 2, 50, 200, 300), figures("mail.all", 100, 20, 50, 200, 300)]
    found = judge_fault(timer, history, classes, slo)
    assert found.during.error_ratio == round(20 / 60, 4) and found.before.error_ratio == 0.0
    assert found.during.worst_p95_ms == 3000.0 and found.back_to_slo_seconds == 0
    assert found.violations == ["users saw failed calls after one retry: mail.all retry × 2"]
    early = judge_fault(timer, history, [*classes, figures("mail.get retry", 10, 1, 50, 200, 300)], slo)
    assert early.user_visible_failures == {"mail.all retry": 2}
    assert early.user_visible_failures_before == {"mail.get retry": 1}
    assert early.violations[-1].startswith("users saw failed calls after one retry before the fault, so the load "
                                              "alone was more than the cluster carried: mail.get retry × 1")
    never = judge_fault(FaultTimer(None, "mta-stopped", 30, problem="the load ended before the fault was due"),
                        history, [], slo)
    assert never.violations == ["the load ended before the fault was due"]


def test_a_run_whose_worker_died_or_that_had_to_be_stopped_is_invalid(tmp_path):
    from harness.load.results import invalid_because
    from harness.load.runner import LocustRun

    run = LocustRun(tmp_path, 0, 60.0, Samples(), {}, {})
    assert invalid_because(run, {"workers_most": 2, "workers_fewest": 2}) == ""
    assert "a generator worker died: 2 were connected, then only 1" in invalid_because(
        run, {"workers_most": 2, "workers_fewest": 1})
    run.stopped_from_outside = True
    assert invalid_because(run, {}) == "Locust did not end by itself and was stopped"


def test_a_target_file_may_replace_the_profiles_slos_class_by_class(tmp_path):
    from harness.models.target_file import load_target_file

    text = (resources.topologies_dir() / "examples" / "customer-acceptance.yaml").read_text()
    target = tmp_path / "target.yaml"
    target.write_text(text + "load: allowed\nload_slos:\n  mail.all: {p95_ms: 400, p99_ms: 900, max_error_ratio: 0.001}\n")
    overrides = {name: slo.model_dump() for name, slo in load_target_file(target).load_slos.items()}
    profile = load_profile("smoke").with_slos(overrides)
    assert profile.slo("mail.all").p95_ms == 400 and profile.slo("mail.get") == load_profile("smoke").slos["default"]
    target.write_text(text + "load_slos:\n  mail.all: {p95_ms: 400}\n")
    with pytest.raises(UserError, match=r"target.yaml:\d+:\d+: load_slos.mail.all.p99_ms: required key is missing"):
        load_target_file(target)


def test_a_target_slo_for_a_class_the_profile_does_not_make_is_left_out_and_the_plan_still_validates():
    smoke = load_profile("smoke")
    changed = smoke.with_slos({"mail.all": {"p95_ms": 900, "p99_ms": 1800, "max_error_ratio": 0.01},
                               "folders.list": {"p95_ms": 1, "p99_ms": 2, "max_error_ratio": 0}})
    assert changed.slo("mail.all").p95_ms == 900 and "folders.list" not in changed.slos
    LoadPlan(profile=changed, http_url="http://127.0.0.1:1", accounts=[{"login": "a", "password": "b", "email": "c"}],
             users=1, spawn_rate=1, duration=1, output="/tmp")


def test_a_history_row_locust_left_unfinished_is_passed_over(tmp_path):
    (tmp_path / "locust_stats_history.csv").write_text(
        "Timestamp,Name,Requests/s,Failures/s,95%,Total Failure Count\n"
        "100,Aggregated,10,0,200,\n101,Aggregated,12,1,N/A,\n102,Aggreg")
    history = read_history(tmp_path / "locust")
    assert [second.at for second in history.of("Aggregated")] == [100, 101] and history.span() == (100, 102)


def test_every_rate_and_every_slo_of_the_shipped_profiles_names_its_source():
    for name in available():
        profile = load_profile(name)
        assert all(slo.source for slo in profile.slos.values()), f"{name}: an SLO without its source"
        assert all(action.source for user in profile.classes for action in user.actions), name


SHAPE_SCRIPT = """
import json, sys
from types import SimpleNamespace
from locust.stats import RequestStats
from harness.load import locustfile

stats = RequestStats()
shape = locustfile.PlanShape()
shape.runner = SimpleNamespace(stats=stats, user_count=0)
clock = [0.0]
shape.get_run_time = lambda: clock[0]
levels, asked = [], 0
for second, response_ms, running in json.loads(sys.argv[2]):  # running: users started, None: all asked for
    clock[0] = float(second)
    shape.runner.user_count = asked if running is None else running
    for _ in range(30):
        stats.log_request("GET", "mail.all", response_ms, 10)
    levels.append(shape.tick())
    if levels[-1] is None:  # Locust stops the run here
        break
    asked = levels[-1][0]
locustfile.write_steps(SimpleNamespace(shape_class=shape, runner=shape.runner))
print(json.dumps({"levels": [level and level[0] for level in levels],
                  "steps": json.load(open(sys.argv[1] + "/steps.json"))}))
"""


def run_shape(folder, seconds, steps, stop=True, spawn_rate=5.0):
    """The real locustfile shape over Locust's own statistics, in a child process (Locust patches with gevent):
    at each (second, response time, users started) 30 requests are logged and the shape ticks."""
    plan = LoadPlan(profile=load_profile("webmail"), http_url="http://127.0.0.1:1",
                    accounts=[{"login": "a", "password": "b", "email": "c"}], shape="steps", users=max(steps),
                    spawn_rate=spawn_rate, duration=1, steps=steps, hold_seconds=1, stop_after_slo_miss=stop,
                    output=str(folder))
    path = plan.write(folder / "plan.json")
    child = subprocess.run([sys.executable, "-c", SHAPE_SCRIPT, str(folder), json.dumps(seconds)],
                           capture_output=True, text=True, env={**os.environ, "OXH_LOAD_PLAN": str(path)}, timeout=120)
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("stop", [True, False])
def test_a_stepped_run_that_stops_at_an_slo_miss_ends_with_the_step_that_missed(tmp_path, stop):
    """1 s steps of 5, 10 and 20 users, the second answering mail.all in 2 s against the webmail SLO of 1 s.
    Each step opens the second after it is asked for (its users started) and closes 2 s later."""
    slow = {5, 6}  # the 10-user step's seconds
    seconds = [(second, 2000 if second in slow else 100, None) for second in range(12)]
    ran = run_shape(tmp_path, seconds, [5, 10, 20], stop)
    users = [step["users"] for step in ran["steps"]]
    if stop:  # the 10-user step missed the SLO: no 20-user step, and no fragment of one recorded
        assert users == [5, 10] and None in ran["levels"] and 20 not in ran["levels"], ran
    else:
        assert users == [5, 10, 20] and 20 in ran["levels"], ran


def test_a_step_is_measured_once_its_users_have_started_so_their_sign_ins_are_not_judged(tmp_path):
    """A first step of 10 users whose sign-ins answer in 3 s while they start; once all 10 run, 100 ms."""
    seconds = [(0, 100, 0), (1, 3000, 4), (2, 3000, 8)] + [(second, 100, None) for second in range(3, 12)]
    ran = run_shape(tmp_path, seconds, [10, 20])
    first = ran["steps"][0]
    assert first["users"] == 10 and first["requests"]["mail.all"]["p95"] == 100, first
    assert first["requests"]["mail.all"]["requests"] < 30 * 4, "the requests made while users started were counted"
    assert [step["users"] for step in ran["steps"]] == [10, 20], ran


def test_a_step_whose_users_never_all_start_is_measured_after_the_time_they_may_take(tmp_path):
    """3 of 10 users never start (their sign-in failed): the step opens after twice its ramp and a grace."""
    seconds = [(second, 100, 7) for second in range(0, 20)]
    ran = run_shape(tmp_path, seconds, [10], spawn_rate=10)  # it may take 2 × 1 s + 5 s: opens at 8, closes at 10
    assert [step["users"] for step in ran["steps"]] == [10], ran
    assert ran["steps"][0]["requests"]["mail.all"]["requests"] == 2 * 30, ran


def test_a_step_has_settled_when_its_halves_carry_the_same_rate_within_tolerance_or_chance():
    steady = [(t, 30 * t) for t in range(0, 11)]
    assert settled(steady, 0, 10)
    rising = [(t, 3 * t * t) for t in range(0, 11)]  # the rate grows from 3/s to 60/s
    assert not settled(rising, 0, 10)
    few = [(0, 0), (5, 4), (10, 10)]  # 4 then 6 requests: 50 % apart, but within chance
    assert settled(few, 0, 10)
    assert not settled([(0, 0), (1, 5)], 0, 1), "two samples cannot show a trend"


class FakeMailbox:
    """An IMAP session of one user over a dict of folder -> UIDs (the unit test of restore_mailboxes)."""

    def __init__(self, folders: dict[str, list[int]], fail: bool = False):
        self.folders, self.fail, self.selected, self.selects = folders, fail, None, 0

    def folder_status(self, folder, items):
        if self.fail:
            raise OSError("connection reset")
        return {b"MESSAGES": len(self.folders[folder])}

    def select_folder(self, folder):
        self.selected, self.selects = folder, self.selects + 1

    def search(self, criteria):
        return list(reversed(self.folders[self.selected]))  # a server may answer in any order

    def delete_messages(self, uids):
        self.folders[self.selected] = [uid for uid in self.folders[self.selected] if uid not in uids]

    def expunge(self):
        pass


def test_mailboxes_go_back_to_their_seeded_messages(monkeypatch):
    from contextlib import contextmanager

    from harness.load import accounts as accounts_module

    boxes = {"a@ox.test": FakeMailbox({"INBOX": [1, 2, 3, 4, 5, 9, 12], "Sent": [1, 2]}),
             "b@ox.test": FakeMailbox({"INBOX": [1, 2, 3]}),  # fewer than seeded: left alone
             "c@ox.test": FakeMailbox({"INBOX": [1, 2, 3, 4, 5]})}

    @contextmanager
    def session(host, port, user, password):
        yield boxes[user]

    monkeypatch.setattr(accounts_module, "imap_session", session)
    said = []
    users = [{"login": name.split("@")[0], "email": name, "password": "x"} for name in boxes]
    assert accounts_module.restore_mailboxes(users, ("127.0.0.1", 143), 5, said.append) == 2
    assert boxes["a@ox.test"].folders == {"INBOX": [1, 2, 3, 4, 5], "Sent": [1, 2]}  # Sent is never listed
    assert boxes["b@ox.test"].folders == {"INBOX": [1, 2, 3]} and boxes["c@ox.test"].folders["INBOX"] == [1, 2, 3, 4, 5]
    assert boxes["b@ox.test"].selects == boxes["c@ox.test"].selects == 0  # a mailbox with no more is only asked
    assert "3 mailboxes back to their 5 seeded messages (2 sent since removed)" in said[0]

    boxes["b@ox.test"].fail = True
    with pytest.raises(UserError, match=r"1 of 3 test mailboxes could not be brought back .*first: b: connection reset"):
        accounts_module.restore_mailboxes(users, ("127.0.0.1", 143), 5, said.append)


def test_a_mailbox_short_of_its_seeded_messages_gets_what_it_lacks_once_more(monkeypatch):
    from contextlib import contextmanager

    from harness.load import accounts as accounts_module

    held = {"a@ox.test": 5, "b@ox.test": 4}  # b's fifth delivery was lost by the store
    sent = []

    @contextmanager
    def session(host, port, user, password):
        yield SimpleNamespace(folder_status=lambda folder, items: {b"MESSAGES": held[user]})

    def deliver(account, smtp, indexes):
        sent.append((account["email"], list(indexes)))
        held[account["email"]] += len(indexes)

    monkeypatch.setattr(accounts_module, "imap_session", session)
    monkeypatch.setattr(accounts_module, "_deliver", deliver)
    monkeypatch.setattr(accounts_module, "DELIVERY_WITHIN", 0.5)
    users = [{"login": email.split("@")[0], "email": email, "password": "x"} for email in held]
    said = []
    accounts_module.wait_delivered(users, ("127.0.0.1", 143), 5, said.append, ("127.0.0.1", 25))
    assert sent == [("b@ox.test", [4])]  # only the message it lacks: the sixth of none
    assert "1 of 2 mailboxes lack seeded messages after 0 s (first: b@ox.test has 4 of 5)" in said[0]
    assert said[-1].startswith("seeded messages delivered after")

    held["b@ox.test"] = 3
    monkeypatch.setattr(accounts_module, "_deliver", lambda account, smtp, indexes: None)  # lost again
    with pytest.raises(UserError, match="1 of 2 mailboxes lack their seeded messages"):
        accounts_module.wait_delivered(users, ("127.0.0.1", 143), 5, said.append, ("127.0.0.1", 25))
    with pytest.raises(UserError, match="1 of 2 mailboxes lack"):  # without an MTA to send through: no second try
        accounts_module.wait_delivered(users, ("127.0.0.1", 143), 5, said.append)
