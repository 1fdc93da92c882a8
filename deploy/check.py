"""The checks of deploy/check.sh (run it, not this: it installs what this needs).

Each check prints what it looked at and one line per problem; the exit status is 1 when any
check found a problem. A problem names the file, and the key, library or service at fault.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import yaml

problems = []


def problem(text):
    problems.append(text)
    print(f"  FAIL {text}")


def run(arguments, **kwargs):
    return subprocess.run(arguments, capture_output=True, text=True, **kwargs)


# ---------------------------------------------------------------------------------------------
# The keys the binary knows.

def binary_keys(binary):
    """The environment variables the binary reads, from `mpshook config keys` (one a line): the
    binary's own declarations, so a renamed or removed key fails here."""
    result = run([binary, "config", "keys"])
    if result.returncode != 0:
        problem(f"{binary} config keys failed: {result.stderr.strip()[:300]}")
        return set(), "mpshook config keys"
    return {line.strip() for line in result.stdout.splitlines() if line.strip()}, "mpshook config keys"


def env_file_keys(path):
    """Keys of a KEY=VALUE file (compose env_file and systemd EnvironmentFile syntax)."""
    keys = []
    with open(path) as file:
        for number, line in enumerate(file, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[len("export "):]
            key = line.split("=", 1)[0].strip()
            keys.append((key, number))
    return keys


# ---------------------------------------------------------------------------------------------
# The Dockerfile.

def dockerfile_instructions(path):
    """(stage name or None, instruction, arguments) with continuation lines joined."""
    instructions = []
    stage = None
    with open(path) as file:
        text = file.read()
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, _, rest = stripped.partition(" ")
        word = word.upper()
        if word == "FROM":
            match = re.search(r"\bAS\s+(\S+)", rest, re.IGNORECASE)
            stage = match.group(1) if match else None
        instructions.append((stage, word, rest.strip()))
    return instructions


def runtime_packages(instructions, stage):
    """The packages `apt-get install` names in the RUN instructions of `stage`."""
    packages = []
    for name, word, rest in instructions:
        if name != stage or word != "RUN":
            continue
        for command in re.split(r"&&|;|\|\|", rest):
            words = shlex.split(command)
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                packages += [w for w in after if not w.startswith("-") and "=" not in w]
    return packages


def static_stdlib(instructions):
    return any(word == "RUN" and "swift build" in rest and "--static-swift-stdlib" in rest
               for _, word, rest in instructions)


# ---------------------------------------------------------------------------------------------
# ldd: the runtime stage's packages provide every library the binary loads.

def owning_package(path):
    """The Debian package that installed `path` (tried as given and through /usr-merge)."""
    candidates = [path, os.path.realpath(path)]
    for candidate in list(candidates):
        if candidate.startswith("/usr/lib/"):
            candidates.append(candidate[len("/usr"):])
        elif candidate.startswith("/lib/"):
            candidates.append("/usr" + candidate)
    for candidate in candidates:
        result = run(["dpkg", "-S", candidate])
        if result.returncode == 0:
            # "libpq5:amd64: /lib/x86_64-linux-gnu/libpq.so.5" (diversions aside)
            for line in result.stdout.splitlines():
                if not line.startswith("diversion"):
                    return line.split(":")[0].split(",")[0].strip()
    return None


def dependency_closure(packages):
    """Every package apt installs with `packages` (Depends and Pre-Depends, recursively)."""
    result = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                  "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + packages)
    closure = set()
    for line in result.stdout.splitlines():
        if line and not line.startswith(" ") and not line.startswith("<"):
            closure.add(line.split(":")[0].strip())
    return closure


def base_image_packages():
    """What debian:bookworm-slim holds (debootstrap's minbase: the packages of priority
    required, and apt), read from this Debian 12's own package lists."""
    result = run(["dpkg-query", "-W", "-f", "${Package} ${Priority}\n"])
    required = {line.split()[0] for line in result.stdout.splitlines() if line.endswith(" required")}
    return required | dependency_closure(["apt"]) | {"apt"}


def check_ldd(binary, dockerfile):
    print(f"== ldd: {binary} against the runtime stage of {dockerfile}")
    instructions = dockerfile_instructions(dockerfile)
    listed = runtime_packages(instructions, "runtime")
    if not listed:
        problem(f"{dockerfile}: no `apt-get install` in the stage named runtime")
        return
    print(f"  runtime packages: {' '.join(listed)}")
    for package in listed:
        if run(["apt-cache", "show", package]).returncode != 0:
            problem(f"{dockerfile}: runtime package {package} does not exist in Debian 12")
    statically_linked = static_stdlib(instructions)
    closure = dependency_closure(listed)
    base = base_image_packages()

    result = run(["ldd", binary])
    if result.returncode != 0:
        problem(f"ldd {binary} failed: {result.stderr.strip()}")
        return
    needed = set(re.findall(r"\(NEEDED\).*\[(.+)\]", run(["readelf", "-d", binary]).stdout))
    for line in result.stdout.splitlines():
        parts = line.split()
        if not parts or parts[0] == "linux-vdso.so.1":
            continue
        soname = parts[0]
        if "not found" in line:
            problem(f"{soname}: not found on this machine (ldd)")
            continue
        path = parts[2] if len(parts) > 2 and parts[1] == "=>" else parts[0]
        package = owning_package(path)
        if package is None:
            if "/lib/swift/" in os.path.realpath(path):
                if statically_linked:
                    print(f"  ok   {soname}: the Swift runtime, linked statically by the Dockerfile's build")
                else:
                    problem(f"{soname}: the Swift runtime, but the Dockerfile builds without --static-swift-stdlib and copies no runtime")
            else:
                problem(f"{soname} ({path}): from no Debian package: the image would lack it")
            continue
        if package in listed:
            how = "listed"
        elif package in base:
            how = "in debian:bookworm-slim"
        elif soname in needed:
            problem(f"{soname}: loaded directly by mpshook, but its package {package} is neither listed nor in the base image")
            continue
        elif package in closure:
            how = "a dependency of the listed packages"
        else:
            problem(f"{soname}: its package {package} is not installed by the runtime stage of {dockerfile}")
            continue
        print(f"  ok   {soname} -> {package} ({how})")


# ---------------------------------------------------------------------------------------------
# compose: the schema, the env keys, the files it mounts, Prometheus's config.

def check_compose(compose_path, schema_path, binary, dockerfile, root):
    print(f"== compose: {compose_path}")
    with open(schema_path) as file:
        schema = yaml.safe_load(file)
    with open(compose_path) as file:
        document = yaml.safe_load(file)
    # The schema names draft 2019-09 (by an address jsonschema spells differently).
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        problem(f"{compose_path}: schema: at {where}: {error.message}")
    if not errors:
        print(f"  ok   valid against the compose-spec schema ({os.path.basename(schema_path)})")
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        problem(f"{compose_path}: no services")
        return
    services = document["services"]
    base = os.path.dirname(os.path.abspath(compose_path))

    known, source = binary_keys(binary)
    if not known:
        problem(f"{binary}: `config keys` listed no key")
        return
    print(f"  the binary knows {len(known)} keys ({source})")

    # The trial's generated files (setup.sh), made in a scratch folder to read their keys.
    generated = tempfile.mkdtemp()
    setup = os.path.join(base, "compose", "setup.sh")
    if os.path.exists(setup):
        result = run([setup], env={**os.environ, "MPSHOOK_COMPOSE_STATE": generated})
        if result.returncode != 0:
            problem(f"{setup} failed: {result.stderr.strip()}")
    state_prefix = os.path.normpath(os.path.join(root, ".local", "compose"))

    def resolve(path):
        full = os.path.normpath(os.path.join(base, path))
        if full == state_prefix or full.startswith(state_prefix + os.sep):
            return os.path.join(generated, os.path.relpath(full, state_prefix))
        return full

    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        build = service.get("build")
        target = build.get("target") if isinstance(build, dict) else None
        runs_mpshook = target == "mpshook" or str(service.get("image", "")).startswith("mpshook")
        for dependency in (service.get("depends_on") or []):
            if dependency not in services:
                problem(f"{compose_path}: service {name} depends on {dependency}, which is no service")
        network_mode = service.get("network_mode", "")
        if network_mode.startswith("service:") and network_mode[len("service:"):] not in services:
            problem(f"{compose_path}: service {name} joins the network of {network_mode}, which is no service")
        for volume in service.get("volumes") or []:
            source_path = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source_path.startswith(".") or source_path.startswith("/"):
                if not os.path.exists(resolve(source_path)):
                    problem(f"{compose_path}: service {name} mounts {source_path}, which does not exist")
        env_files = service.get("env_file") or []
        if isinstance(env_files, str):
            env_files = [env_files]
        for env_file in env_files:
            path = resolve(env_file)
            if not os.path.exists(path):
                problem(f"{compose_path}: service {name}: env file {env_file} does not exist")
                continue
            if runs_mpshook:
                for key, number in env_file_keys(path):
                    if key not in known:
                        problem(f"{env_file}:{number}: {key} is not a key mpshook knows (service {name})")
        if runs_mpshook:
            environment = service.get("environment") or {}
            if not isinstance(environment, dict):
                environment = dict(e.split("=", 1) if "=" in e else (e, "") for e in environment)
            for key in environment:
                if key not in known:
                    problem(f"{compose_path}: service {name}: environment {key} is not a key mpshook knows")
            # The values too: the service's whole environment, as `mpshook config check --strict`
            # reads it (secrets are redacted in its output; only its verdict is used).
            lines = []
            for env_file in env_files:
                if os.path.exists(resolve(env_file)):
                    with open(resolve(env_file)) as file:
                        lines.append(file.read())
            lines += [f"{key}={value}" for key, value in environment.items()]
            with tempfile.NamedTemporaryFile("w", suffix=".env", delete=False) as merged:
                merged.write("\n".join(lines) + "\n")
            result = run([binary, "config", "check", "--strict", "--config", merged.name], env={"PATH": os.environ.get("PATH", "")})
            os.unlink(merged.name)
            if result.returncode != 0:
                errors = [line.strip() for line in result.stderr.splitlines() if line.strip()]
                problem(f"{compose_path}: service {name}: mpshook config check --strict refuses its environment: {' | '.join(errors)[:600]}")
            else:
                print(f"  ok   service {name}: env keys known, mpshook config check --strict passes")

    # The image's own defaults.
    for _, word, rest in dockerfile_instructions(dockerfile):
        if word == "ENV":
            for assignment in shlex.split(rest):
                key = assignment.split("=", 1)[0]
                if key not in known:
                    problem(f"{dockerfile}: ENV {key} is not a key mpshook knows")

    # nginx: deploy/nginx/mpshook.conf with the trial's replicas.conf and site.conf and a
    # certificate as setup.sh makes one, through `nginx -t` (Debian's nginx; the replicas' names
    # become 127.0.0.1, since nginx resolves them while loading).
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    site_conf = os.path.join(base, "nginx", "mpshook.conf")
    trial = os.path.join(base, "compose", "nginx")
    if nginx is None:
        problem("nginx is not installed")
    elif os.path.exists(site_conf) and os.path.isdir(trial):
        folder = tempfile.mkdtemp()
        try:
            for sub in ("conf.d", "mpshook", "tls"):
                os.makedirs(os.path.join(folder, sub))
            shutil.copy(site_conf, os.path.join(folder, "conf.d", "mpshook.conf"))
            with open(os.path.join(trial, "replicas.conf")) as file:
                replicas = re.sub(r"server\s+[A-Za-z0-9_.-]+:(\d+)", r"server 127.0.0.1:\1", file.read())
            with open(os.path.join(folder, "mpshook", "replicas.conf"), "w") as file:
                file.write(replicas)
            with open(os.path.join(trial, "site.conf")) as file:
                site = file.read().replace("/etc/nginx/tls", os.path.join(folder, "tls"))
            with open(os.path.join(folder, "mpshook", "site.conf"), "w") as file:
                file.write(site)
            for name in ("cert.pem", "key.pem"):
                shutil.copy(os.path.join(generated, "tls", name), os.path.join(folder, "tls", name))
            with open(os.path.join(folder, "nginx.conf"), "w") as file:
                file.write(f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
                           f"http {{\n    include /etc/nginx/mime.types;\n    include {folder}/conf.d/*.conf;\n}}\n")
            result = run([nginx, "-t", "-q", "-p", folder, "-c", os.path.join(folder, "nginx.conf")])
            if result.returncode != 0:
                problem(f"nginx -t of deploy/nginx/mpshook.conf with deploy/compose/nginx/: {(result.stdout + result.stderr).strip()}")
            else:
                print("  ok   nginx -t: deploy/nginx/mpshook.conf with the trial's replicas.conf and site.conf")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # Prometheus: the scrape config with the rules it loads, as the compose file mounts them.
    promtool = shutil.which("promtool")
    config = os.path.join(base, "compose", "prometheus.yml")
    alerts = os.path.join(base, "prometheus", "alerts.yml")
    if promtool is None:
        problem("promtool is not installed")
    elif os.path.exists(config) and os.path.exists(alerts):
        folder = tempfile.mkdtemp()
        shutil.copy(config, os.path.join(folder, "prometheus.yml"))
        shutil.copy(alerts, os.path.join(folder, "alerts.yml"))
        result = run([promtool, "check", "config", os.path.join(folder, "prometheus.yml")])
        shutil.rmtree(folder, ignore_errors=True)
        if result.returncode != 0:
            problem(f"promtool check config {config}: {(result.stdout + result.stderr).strip()}")
        else:
            print(f"  ok   promtool check config {os.path.relpath(config, root)} (with deploy/prometheus/alerts.yml)")
    shutil.rmtree(generated, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# systemd: verify, the exposure score, the keys of Environment=.

def check_systemd(unit, binary):
    print(f"== systemd: {unit}")
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        problem("systemd-analyze is not installed")
        return
    name = os.path.basename(unit)
    with open(unit) as file:
        text = file.read()
    # A root folder holding the unit and a stand-in for every executable it names: verify checks
    # that they exist and are executable, not what they do.
    folder = tempfile.mkdtemp()
    try:
        units = os.path.join(folder, "etc", "systemd", "system")
        os.makedirs(units)
        shutil.copy(unit, os.path.join(units, name))
        for executable in set(re.findall(r"^Exec\w*=[-@:+!]*(/\S+)", text, re.MULTILINE)):
            stand_in = os.path.join(folder, executable.lstrip("/"))
            os.makedirs(os.path.dirname(stand_in), exist_ok=True)
            with open(stand_in, "w") as file:
                file.write("#!/bin/sh\n")
            os.chmod(stand_in, 0o755)
        result = run([analyze, "verify", f"--root={folder}", "--recursive-errors=no", "--man=no", name])
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0 or output:
            problem(f"systemd-analyze verify {name}: {output or 'exit ' + str(result.returncode)}")
        else:
            print(f"  ok   systemd-analyze verify {name}")
        result = run([analyze, "security", "--offline=yes", f"--root={folder}", "--threshold=20", "--no-pager", name])
        score = re.search(r"Overall exposure level for \S+: (\S+ \S+)", result.stdout)
        if result.returncode != 0:
            problem(f"systemd-analyze security {name}: exposure {score.group(1) if score else '?'} is above 2.0")
        else:
            print(f"  ok   systemd-analyze security {name}: exposure {score.group(1) if score else '?'}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    known, _ = binary_keys(binary)
    for key in re.findall(r"^Environment=\"?([A-Za-z_][A-Za-z0-9_]*)=", text, re.MULTILINE):
        if key not in known:
            problem(f"{unit}: Environment={key} is not a key mpshook knows")
    stop = re.search(r"^TimeoutStopSec=(\d+)\s*$", text, re.MULTILINE)
    if stop is None or int(stop.group(1)) <= 30:
        problem(f"{unit}: TimeoutStopSec must be set in seconds and above MPSHOOK_SHUTDOWN_TIMEOUT's default (30)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--only", choices=["ldd", "compose", "systemd"])
    parser.add_argument("--binary")
    parser.add_argument("--dockerfile")
    parser.add_argument("--compose")
    parser.add_argument("--unit")
    arguments = parser.parse_args()
    root = arguments.root
    binary = arguments.binary or os.path.join(root, ".build", "debug", "mpshook")
    dockerfile = arguments.dockerfile or os.path.join(root, "deploy", "Dockerfile")
    compose = arguments.compose or os.path.join(root, "deploy", "compose.yaml")
    unit = arguments.unit or os.path.join(root, "deploy", "systemd", "mpshook.service")
    if not os.access(binary, os.X_OK):
        print(f"check.sh: FAILED: {binary} is missing: build first (swift build)")
        return 1
    if arguments.only in (None, "ldd"):
        check_ldd(binary, dockerfile)
    if arguments.only in (None, "compose"):
        check_compose(compose, arguments.schema, binary, dockerfile, root)
    if arguments.only in (None, "systemd"):
        check_systemd(unit, binary)
    if problems:
        print(f"deploy check: FAILED, {len(problems)} problem(s)")
        return 1
    print("deploy check: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
