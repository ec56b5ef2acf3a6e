"""Checks that the deployment files agree with each other: the compose service publishes the
port the image listens on, mounts its volume, keeps its health check; the image is multi-stage,
runs as non-root and probes /api/health through `oipd health`; the systemd unit's data dir is
its state dir and its sandbox is on. Reads `docker-compose config` output (normalised, so the
file is known to parse) on stdin. Exits 1 naming each disagreement."""

import re
import shlex
import sys

import yaml


def dockerfile(path):
    """Instructions of the last stage as (KEYWORD, argument text), and the number of stages."""
    text = re.sub(r"\\\n", " ", open(path).read())
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    stages, current = 0, []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            stages, current = stages + 1, []
        current.append((keyword.upper(), rest.strip()))
    return current, stages


def env_of(instructions):
    env = {}
    for keyword, rest in instructions:
        if keyword == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def unit(path):
    settings = {}
    for line in open(path):
        line = line.strip()
        if "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings.setdefault(name, []).append(value)
    return settings


def main():
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    image, stages = dockerfile("Dockerfile")
    first = lambda k: next((rest for keyword, rest in image if keyword == k), "")
    env = env_of(image)
    port = first("EXPOSE").split("/")[0]
    volume = shlex.split(first("VOLUME").strip("[]").replace(",", " "))[0]
    check(stages >= 2, f"Dockerfile is multi-stage ({stages} stages)")
    check(first("USER").split(":")[0] not in ("", "0", "root"), f"image runs as non-root (USER {first('USER')})")
    check(env.get("OIPD_BIND") == f"0.0.0.0:{port}", f"image listens on 0.0.0.0:{port}, its EXPOSE (OIPD_BIND={env.get('OIPD_BIND')})")
    check(env.get("OIPD_DATA_DIR") == volume, f"the store is the volume {volume} (OIPD_DATA_DIR={env.get('OIPD_DATA_DIR')})")
    health = first("HEALTHCHECK")
    check(re.search(r'CMD \["[^"]*oipd", "health"\]', health) is not None, f"HEALTHCHECK runs `oipd health` (GET /api/health): {health}")

    compose = yaml.safe_load(sys.stdin)
    service = compose.get("services", {}).get("oip")
    check(service is not None, "compose has the OIP daemon's service name, oip")
    service = service or {}
    check(service.get("build", {}).get("dockerfile", "Dockerfile") == "Dockerfile", "compose builds this Dockerfile")
    targets = [str(p.get("target")) for p in service.get("ports", [])]
    check(port in targets, f"compose publishes the image's port {port} (targets {targets})")
    mounts = [v.split(":")[1] if isinstance(v, str) else v.get("target") for v in service.get("volumes", [])]
    check(volume in mounts, f"compose mounts a volume at {volume} (mounts {mounts})")
    test = service.get("healthcheck", {}).get("test")
    check(test is None or "health" in " ".join(test), f"compose keeps the image's health check (override: {test})")
    for name in ("OIPD_BIND", "OIPD_DATA_DIR"):
        value = (service.get("environment") or {}).get(name)
        check(value in (None, env.get(name)), f"compose leaves {name} as the image sets it ({value})")

    systemd = unit("deploy/oipd.service")
    one = lambda k: (systemd.get(k) or [""])[-1]
    data_dir = next((v.split("=", 1)[1] for v in systemd.get("Environment", []) if v.startswith("OIPD_DATA_DIR=")), "")
    writable = [f"/var/lib/{d}" for d in one("StateDirectory").split()] + one("ReadWritePaths").split()
    check(data_dir in writable, f"the unit's data dir {data_dir} is writable ({writable})")
    check(one("ProtectSystem") == "strict", "the unit has ProtectSystem=strict")
    check(one("NoNewPrivileges") == "yes", "the unit has NoNewPrivileges=yes")
    check(one("DynamicUser") == "yes" or one("User") not in ("", "root"), "the unit runs as a non-root user")
    check(one("ExecStart").split()[-1] == "serve", "the unit runs `oipd serve`")

    if failures:
        print(f"{len(failures)} deployment checks failed")
        sys.exit(1)


main()
