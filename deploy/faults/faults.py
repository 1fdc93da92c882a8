#!/usr/bin/env python3
"""The fault scenarios of the fault suite (deploy/faults/run.sh starts PostgreSQL and hands over).

Each scenario drives distinct, valid, signed notifications at mpshook's door over loopback and
records every acknowledgement (a 2xx) by the notification's SessionContext, which the door
stores in notifications.session_context. A SessionContext is a fresh mpshook correlation id
(mh1:<32 hex>) with its own NotifyUrl token, so each notification is distinct and verified; no
step exists for it, so the applier keeps it as an orphan, which is all the
acknowledged-vs-stored check needs.

Scenarios (names for --scenarios):
  kill      mpshook SIGKILLed at random moments under load (--kills times), restarted each time
  pgstop    PostgreSQL stopped (fast, then immediate) for --pg-down seconds under load
  pgstall   every backend of mpshook's database SIGSTOPped for --stall seconds under load
  hostile   idle and slowloris connections past the descriptor limit while legitimate traffic
            is measured (p99 with and without the attack)

Standard library only. Prints a Markdown report, also written to --report; exits 1 when a
check fails (an acknowledged notification missing, a 200 while the database was down, a 503
later than the store timeout, RSS past its bound, a legitimate request failing under attack).
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import os
import random
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(message):
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Setup:
    """What every scenario shares: the binary, the database, the keys, the port."""

    def __init__(self, args):
        self.binary = args.binary
        self.database_url = args.database_url
        self.server_url = args.server_url
        self.pg_name = args.pg_name
        self.pg_port = args.pg_port
        self.port = args.http_port
        self.state = args.state
        self.store_timeout = args.store_timeout
        self.key_id = "faults"
        self.key = os.urandom(32)
        self.notify_key = "faults-" + os.urandom(8).hex()
        self.timestamp = int(time.time()) + 3600
        self.sign = hashlib.md5(f"{self.timestamp}{self.notify_key}".encode()).hexdigest()
        self.log_path = os.path.join(self.state, "serve.log")

    def env(self, extra=None):
        env = dict(os.environ)
        for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN"):
            env.pop(name, None)
        key = base64.urlsafe_b64encode(self.key).decode().rstrip("=")
        env.update({
            "MPSHOOK_DATABASE_URL": self.database_url,
            "MPSHOOK_HTTP_PORT": str(self.port),
            "MPSHOOK_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "MPSHOOK_CALLBACK_KEYS": f"{self.key_id}:{key}",
            "MPSHOOK_NOTIFY_KEY": self.notify_key,
            "MPSHOOK_NOTIFY_STORE_TIMEOUT": str(self.store_timeout),
            # Unreachable MPS: no step is ever submitted here (there are none), but no real endpoint either.
            "MPSHOOK_MPS_ENDPOINT": "http://127.0.0.1:9",
            "LOG_LEVEL": "warning",
            "MPSHOOK_READINESS_INTERVAL": "0.2",
        })
        env.update(extra or {})
        return env

    def psql(self, sql, url=None):
        out = subprocess.run(["psql", url or self.database_url, "-tAqc", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def stored_contexts(self):
        out = subprocess.run(["psql", self.database_url, "-tAqc", "SELECT session_context FROM notifications"],
                             check=True, capture_output=True, text=True)
        return set(line for line in out.stdout.split("\n") if line)

    def notification(self):
        """A fresh notification: (SessionContext, request path with its token, body bytes)."""
        correlation = uuid.uuid4().bytes
        context = "mh1:" + correlation.hex()
        mac = hmac.new(self.key, correlation, hashlib.sha256).digest()
        token = self.key_id + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")
        outputs = ",".join(
            '{"Progress":100,"Status":"SUCCESS","ErrCodeExt":"","Message":"SUCCESS",'
            '"AsrFullTextTask":{"SegmentSet":[{"StartTimeOffset":1.5,"EndTimeOffset":3.25,"Text":"Segment %d, spoken clearly."}],'
            '"SubtitlePath":"https://subs-1250000000.cos.ap-guangzhou.myqcloud.com/faults/%s_%d.vtt",'
            '"Path":"/faults/%s_%d.vtt","SubtitleResults":[]},"TransTextTask":null}' % (i, context[4:], i, context[4:], i)
            for i in range(2)
        )
        body = (
            '{"EventType":"BatchTask","BatchTaskEvent":{"InputInfos":[{"Type":"URL","UrlInputInfo":'
            '{"Url":"https://media.example.com/faults/a.mp4"}}],"SmartSubtitlesTaskResult":{"Input":{"Definition":0},'
            '"Outputs":[%s]}},"SessionId":"","SessionContext":"%s","Timestamp":%d,"Sign":"%s"}'
            % (outputs, context, self.timestamp, self.sign)
        )
        return context, "/mps/notify?token=" + token, body.encode()


class Server:
    """One mpshook serve process; restartable; killable with SIGKILL."""

    def __init__(self, setup, extra_env=None, descriptor_limit=None):
        self.setup = setup
        self.extra_env = extra_env or {}
        self.descriptor_limit = descriptor_limit
        self.process = None

    def start(self, ready_within=60):
        command = [self.setup.binary, "serve"]
        preexec = None
        if self.descriptor_limit:
            import resource
            limit = self.descriptor_limit

            def preexec():
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
        with open(self.setup.log_path, "ab") as logfile:
            self.process = subprocess.Popen(command, env=self.setup.env(self.extra_env), stdout=logfile, stderr=logfile,
                                            preexec_fn=preexec, cwd=ROOT)
        started = time.monotonic()
        if not self.wait_ready(ready_within):
            raise RuntimeError(f"mpshook not ready within {ready_within}s (see {self.setup.log_path})")
        return time.monotonic() - started

    def wait_ready(self, within):
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mpshook exited with {self.process.returncode} (see {self.setup.log_path})")
            if http_status("GET", self.setup.port, "/readyz", timeout=1) == 200:
                return True
            time.sleep(0.02)
        return False

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def pid(self):
        return self.process.pid

    def rss_kb(self):
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None


def http_status(method, port, path, body=None, timeout=5):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request(method, path, body=body)
        status = connection.getresponse().status
        connection.close()
        return status
    except (OSError, http.client.HTTPException):
        return None


class Load:
    """Closed-loop senders, each with its own keep-alive connection (reopened after an error).
    Every request is recorded as (sent, answered, status or None for a connection error); every
    2xx's SessionContext goes into `acknowledged`."""

    def __init__(self, setup, threads, keep_alive=True, timeout=30):
        self.setup = setup
        self.threads = threads
        self.keep_alive = keep_alive
        self.timeout = timeout
        self.records = []
        self.acknowledged = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.workers = []

    def start(self):
        for _ in range(self.threads):
            worker = threading.Thread(target=self.run, daemon=True)
            worker.start()
            self.workers.append(worker)
        return self

    def stop(self):
        self.stopping.set()
        for worker in self.workers:
            worker.join(timeout=self.timeout + 5)

    def run(self):
        connection = None
        while not self.stopping.is_set():
            context, path, body = self.setup.notification()
            sent = time.monotonic()
            status = None
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.setup.port, timeout=self.timeout)
                connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                response = response_of(connection)
                status = response.status
                if not self.keep_alive or response.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                if connection is not None:
                    connection.close()
                connection = None
            answered = time.monotonic()
            with self.lock:
                self.records.append((sent, answered, status))
                if status is not None and 200 <= status < 300:
                    self.acknowledged.add(context)
            if status is None:
                time.sleep(0.01)  # refused while restarting: do not spin

    def between(self, start, end):
        """Records of requests sent in [start, end)."""
        with self.lock:
            return [record for record in self.records if start <= record[0] < end]


def response_of(connection):
    response = connection.getresponse()
    response.read()
    return response


def count_statuses(records):
    counts = {}
    for _, _, status in records:
        key = "error" if status is None else str(status)
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{key}: {value}" for key, value in sorted(counts.items())) or "none"


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Report:
    def __init__(self):
        self.lines = []
        self.failures = []
        self.acknowledged = 0
        self.missing = 0

    def add(self, line=""):
        self.lines.append(line)
        print(line, flush=True)

    def check(self, ok, what):
        self.add(f"- {'PASS' if ok else 'FAIL'}: {what}")
        if not ok:
            self.failures.append(what)


def missing_check(setup, report, load, label):
    stored = setup.stored_contexts()
    acknowledged = load.acknowledged
    missing = acknowledged - stored
    report.acknowledged += len(acknowledged)
    report.missing += len(missing)
    sent = len(load.records)
    report.add(f"- notifications sent {sent}, acknowledged {len(acknowledged)}, of those stored {len(acknowledged & stored)}, "
               f"missing {len(missing)}")
    report.check(not missing, f"{label}: every acknowledged notification is stored ({len(missing)} missing)")
    for context in sorted(missing)[:5]:
        report.add(f"  - missing: {context}")
    return len(missing)


# --- scenarios -------------------------------------------------------------------------------

def scenario_kill(setup, report, args, rng):
    report.add(f"\n## kill -9 under load ({args.kills} kills, {args.threads} senders)\n")
    server = Server(setup)
    server.start()
    load = Load(setup, args.threads).start()
    restarts = []
    for _ in range(args.kills):
        time.sleep(rng.uniform(args.kill_min, args.kill_max))
        server.kill9()
        restarts.append(server.start())
    time.sleep(1.0)
    load.stop()
    server.stop()
    report.add(f"- SIGKILLs {len(restarts)} at random moments {args.kill_min}–{args.kill_max} s apart (seed {args.seed}); "
               f"restart to ready: median {percentile(restarts, 0.5):.2f} s, max {max(restarts):.2f} s")
    report.add(f"- answers: {count_statuses(load.records)} (errors: connections refused or cut by the kill)")
    report.check(len(restarts) == args.kills, f"mpshook was killed and restarted {args.kills} times")
    missing_check(setup, report, load, "kill -9")


def postmaster_pid(setup):
    data = setup.psql("SHOW data_directory", url=setup.server_url)
    with open(os.path.join(data, "postmaster.pid")) as pid_file:
        return int(pid_file.readline().strip())


def process_gone(pid):
    try:
        os.kill(pid, 0)
        return False
    except ProcessLookupError:
        return True
    except PermissionError:
        return False


def scenario_pgstop(setup, report, args, rng):
    report.add(f"\n## PostgreSQL stopped for {args.pg_down:g} s under load ({args.threads} senders)\n")
    server = Server(setup)
    server.start()
    load = Load(setup, args.threads).start()
    try:
        for mode, signal_number in (("fast", signal.SIGINT), ("immediate", signal.SIGQUIT)):
            time.sleep(3)
            pid = postmaster_pid(setup)
            stop_began = time.monotonic()
            os.kill(pid, signal_number)
            while not process_gone(pid):
                time.sleep(0.01)
            down = time.monotonic()
            time.sleep(args.pg_down)
            up_began = time.monotonic()
            subprocess.run([os.path.join(ROOT, "scripts/pg.sh"), "start", setup.pg_name, str(setup.pg_port)],
                           check=True, capture_output=True)
            up = time.monotonic()
            deadline = up + 60
            recovered = None
            while time.monotonic() < deadline and recovered is None:
                time.sleep(0.05)
                for sent, answered, status in load.between(up, time.monotonic()):
                    if status == 200 and (recovered is None or answered < recovered):
                        recovered = answered
            while_down = load.between(down, up_began)
            ok_while_down = [r for r in while_down if r[2] == 200 and r[1] < up_began]
            late = [r for r in while_down if r[2] is not None and r[2] != 200 and r[1] - r[0] > setup.store_timeout + 1]
            report.add(f"- {mode}: stopped in {down - stop_began:.2f} s; down {up_began - down:.1f} s; "
                       f"requests sent while down: {len(while_down)} ({count_statuses(while_down)}); "
                       f"first 200 {(recovered - up) if recovered else float('nan'):.2f} s after PostgreSQL was back "
                       f"(its restart took {up - up_began:.2f} s)")
            report.check(not ok_while_down, f"{mode}: no 200 for a request sent while PostgreSQL was down ({len(ok_while_down)})")
            report.check(not late, f"{mode}: every refusal while down came within the store timeout + 1 s ({len(late)} later)")
            report.check(recovered is not None, f"{mode}: acknowledgements resume after PostgreSQL returns")
        time.sleep(2)
    finally:
        load.stop()
        server.stop()
    report.add(f"- answers overall: {count_statuses(load.records)}")
    missing_check(setup, report, load, "PostgreSQL stopped")


def scenario_pgstall(setup, report, args, rng):
    report.add(f"\n## PostgreSQL stalled: backends SIGSTOPped for {args.stall:g} s ({args.stall_threads} senders)\n")
    server = Server(setup)
    server.start()
    samples = []
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            rss = server.rss_kb()
            if rss:
                samples.append((time.monotonic(), rss))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    warm = Load(setup, args.threads).start()
    time.sleep(3)
    warm.stop()
    before = max(rss for _, rss in samples[-10:])
    load = Load(setup, args.stall_threads).start()
    time.sleep(2)
    database = setup.database_url.rsplit("/", 1)[1]
    pids = [int(p) for p in setup.psql(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()").split() if p]
    readiness = []
    stall_began = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        while time.monotonic() - stall_began < args.stall:
            readiness.append(http_status("GET", setup.port, "/readyz", timeout=2))
            time.sleep(0.5)
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
    stall_ended = time.monotonic()
    time.sleep(5)
    load.stop()
    time.sleep(2)
    after = max(rss for _, rss in samples[-10:])
    sampling.set()
    sampler.join()
    server.stop()
    during = [rss for at, rss in samples if stall_began <= at <= stall_ended + 2]
    peak = max(during) if during else before
    # Requests sent after the stall began, while it lasted (minus the store timeout, so each could be answered inside it).
    stalled = load.between(stall_began + 0.5, stall_ended - setup.store_timeout - 0.5)
    refused = [r for r in stalled if r[2] is not None and r[2] != 200]
    late = [r for r in refused if r[1] - r[0] > setup.store_timeout + 1]
    unanswered = [r for r in stalled if r[2] is None]
    ready_counts = {s: readiness.count(s) for s in set(readiness)}
    report.add(f"- {len(pids)} backends stopped; requests sent during the stall: {len(stalled)} ({count_statuses(stalled)}); "
               f"refusal latency p50 {percentile([r[1] - r[0] for r in refused], 0.5):.2f} s, "
               f"max {max([r[1] - r[0] for r in refused], default=float('nan')):.2f} s (store timeout {setup.store_timeout:g} s)")
    report.add(f"- /readyz during the stall: {', '.join(f'{k}: {v}' for k, v in sorted(ready_counts.items(), key=str))}")
    report.add(f"- RSS before {before / 1024:.0f} MB, peak {peak / 1024:.0f} MB, after {after / 1024:.0f} MB "
               f"(bound: peak ≤ before + {args.rss_bound_mb} MB)")
    report.check(len(refused) > 0 and not late, f"stall: 503 within the store timeout + 1 s ({len(late)} later, {len(unanswered)} unanswered)")
    report.check(not unanswered, f"stall: every request sent during the stall was answered ({len(unanswered)} not)")
    report.check(peak <= before + args.rss_bound_mb * 1024, f"stall: RSS bound held (peak {peak / 1024:.0f} MB)")
    report.add(f"- answers overall: {count_statuses(load.records)}")
    missing_check(setup, report, load, "stall")


class Attack:
    """Idle connections (connect, send nothing) and slowloris ones (a request head one byte at a
    time, never finished), kept at their counts: one the server closes is opened again."""

    HEAD = b"POST /mps/notify?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

    def __init__(self, port, idle, slow, rate):
        self.port = port
        self.rate = rate
        self.wanted = {"idle": idle, "slow": slow}
        self.open = {"idle": {}, "slow": {}}
        self.selector = selectors.DefaultSelector()
        self.stopping = threading.Event()
        self.opened = 0
        self.closed_by_server = 0
        self.connect_failures = 0
        self.peak_open = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join()
        for kind in self.open.values():
            for sock in list(kind):
                sock.close()

    def connect(self, kind):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect_ex(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            self.connect_failures += 1
            return
        self.open[kind][sock] = 0
        self.selector.register(sock, selectors.EVENT_READ, kind)
        self.opened += 1

    def drop(self, sock, kind):
        self.selector.unregister(sock)
        self.open[kind].pop(sock, None)
        sock.close()

    def run(self):
        last_drip = 0.0
        last_pass = time.monotonic()
        allowance = 0.0
        while not self.stopping.is_set():
            # At most `rate` new connections a second (the first fill included): an attacker
            # holding connections, not a connect flood.
            now = time.monotonic()
            allowance = min(self.rate, allowance + (now - last_pass) * self.rate)
            last_pass = now
            for kind, count in self.wanted.items():
                while len(self.open[kind]) < count and allowance >= 1:
                    self.connect(kind)
                    allowance -= 1
            self.peak_open = max(self.peak_open, sum(len(k) for k in self.open.values()))
            for key, _ in self.selector.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.closed_by_server += 1
                    self.drop(key.fileobj, key.data)
            now = time.monotonic()
            if now - last_drip >= 1.0:
                last_drip = now
                for sock, sent in list(self.open["slow"].items()):
                    piece = self.HEAD[sent:sent + 1] if sent < len(self.HEAD) else b"X"
                    try:
                        sock.send(piece)
                        self.open["slow"][sock] = sent + 1
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        self.closed_by_server += 1
                        self.drop(sock, "slow")


def legit_latencies(setup, seconds, threads):
    """Legitimate notifications, a new connection each (as a proxy or MPS opens them)."""
    load = Load(setup, threads, keep_alive=False, timeout=30).start()
    time.sleep(seconds)
    load.stop()
    return load


def scenario_hostile(setup, report, args, rng):
    limit = args.descriptor_limit
    idle, slow = args.idle, args.slowloris
    report.add(f"\n## Hostile clients: {idle} idle + {slow} slowloris connections (reopened at up to {args.attack_rate:g}/s), "
               f"descriptor limit {limit}, {args.legit_threads} legitimate senders\n")
    server = Server(setup, descriptor_limit=limit)
    server.start()
    baseline = legit_latencies(setup, args.hostile_seconds, args.legit_threads)
    # The attacker is its own process, so it takes no time from the measuring threads (the GIL).
    attacker = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--attack", str(setup.port), str(idle), str(slow),
                                 str(args.attack_rate)],
                                stdout=subprocess.PIPE, text=True)
    time.sleep(args.attack_ramp)
    under = legit_latencies(setup, args.hostile_seconds, args.legit_threads)
    attacker.send_signal(signal.SIGTERM)
    opened, closed_by_server, connect_failures, peak_open = (int(x) for x in attacker.communicate(timeout=30)[0].split())
    alive = server.process.poll() is None and http_status("GET", setup.port, "/healthz") == 200
    server.stop()

    def summary(load):
        latencies = [(r[1] - r[0]) * 1000 for r in load.records if r[2] is not None and 200 <= r[2] < 300]
        failed = [r for r in load.records if r[2] is None or not 200 <= r[2] < 300]
        return latencies, failed

    base_lat, base_failed = summary(baseline)
    attack_lat, attack_failed = summary(under)
    report.add(f"- without the attack: {len(baseline.records)} requests, p50 {percentile(base_lat, 0.5):.1f} ms, "
               f"p99 {percentile(base_lat, 0.99):.1f} ms, failed {len(base_failed)}")
    report.add(f"- under the attack:   {len(under.records)} requests, p50 {percentile(attack_lat, 0.5):.1f} ms, "
               f"p99 {percentile(attack_lat, 0.99):.1f} ms, failed {len(attack_failed)} ({count_statuses(under.records)})")
    report.add(f"- attack connections: {opened} opened, at most {peak_open} open at once, "
               f"{closed_by_server} closed by the server, {connect_failures} connect failures")
    report.check(idle + slow > limit and opened > limit,
                 f"hostile: the attack went past the descriptor limit ({idle + slow} wanted, {opened} opened > {limit})")
    report.check(not attack_failed and not base_failed, f"hostile: 0 legitimate requests failed ({len(attack_failed)} under attack)")
    report.check(alive, "hostile: mpshook still alive and healthy after the attack")
    missing_check(setup, report, under, "hostile")


SCENARIOS = {"kill": scenario_kill, "pgstop": scenario_pgstop, "pgstall": scenario_pgstall, "hostile": scenario_hostile}


def attack_main(port, idle, slow, rate):
    """The attacker process: holds the connections until SIGTERM, then prints its counts."""
    attack = Attack(port, idle, slow, rate)
    signal.signal(signal.SIGTERM, lambda *_: attack.stopping.set())
    attack.run()
    print(attack.opened, attack.closed_by_server, attack.connect_failures, attack.peak_open, flush=True)
    os._exit(0)  # leave the sockets to the kernel


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--attack":
        attack_main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--server-url", required=True, help="the cluster's postgres database (superuser)")
    parser.add_argument("--pg-name", default="faults")
    parser.add_argument("--pg-port", type=int, default=55434)
    parser.add_argument("--http-port", type=int, default=18090)
    parser.add_argument("--state", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--scenarios", default="kill,pgstop,pgstall,hostile")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--threads", type=int, default=8, help="senders in the load")
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--kill-min", type=float, default=0.3)
    parser.add_argument("--kill-max", type=float, default=2.5)
    parser.add_argument("--pg-down", type=float, default=10)
    parser.add_argument("--stall", type=float, default=20)
    parser.add_argument("--stall-threads", type=int, default=128)
    parser.add_argument("--store-timeout", type=float, default=5)
    parser.add_argument("--rss-bound-mb", type=int, default=256)
    parser.add_argument("--descriptor-limit", type=int, default=1024)
    parser.add_argument("--idle", type=int, default=1100)
    parser.add_argument("--slowloris", type=int, default=400)
    parser.add_argument("--legit-threads", type=int, default=4)
    parser.add_argument("--hostile-seconds", type=float, default=10)
    parser.add_argument("--attack-ramp", type=float, default=10, help="seconds the attack runs before measuring")
    parser.add_argument("--attack-rate", type=float, default=200, help="most attack connections opened a second")
    args = parser.parse_args()

    setup = Setup(args)
    rng = random.Random(args.seed)
    report = Report()
    report.add(f"# Fault suite report\n")
    report.add(f"scenarios: {args.scenarios}; seed {args.seed}; mpshook {args.binary}")
    started = time.monotonic()
    for name in args.scenarios.split(","):
        name = name.strip()
        if not name:
            continue
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name}")
        log(f"scenario {name}")
        scenario_started = time.monotonic()
        try:
            SCENARIOS[name](setup, report, args, rng)
        except Exception as error:  # a scenario that cannot run is a failure, not a crash of the suite
            report.check(False, f"{name}: the scenario ran to the end ({type(error).__name__}: {error})")
        report.add(f"- ({name}: {time.monotonic() - scenario_started:.0f} s)")
    report.add(f"\nscenarios took {time.monotonic() - started:.0f} s; "
               f"{'all checks passed' if not report.failures else f'{len(report.failures)} check(s) FAILED'}")
    with open(args.report, "w") as out:
        out.write("\n".join(report.lines) + "\n")
    with open(os.path.join(args.state, "summary"), "w") as out:
        out.write(f"scenarios {args.scenarios}: acknowledged {report.acknowledged}, missing {report.missing}, "
                  f"failed checks {len(report.failures)}\n")
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
